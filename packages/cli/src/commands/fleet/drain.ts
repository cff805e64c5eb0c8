import { TimeoutError, type BuildfleetClient, type QueueView } from "@buildfleet/sdk";

/** `buildfleet queue drain` and the drain line of `queue status`. */

export interface DrainFlags {
  cancelQueued?: boolean;
  rejectNew?: boolean;
  reason?: string;
  wait?: boolean;
}

/** --wait ran out: the timeout exit code (4), like a build that did not finish within --timeout. */
export class DrainTimeoutError extends TimeoutError {
  constructor(timeoutMs: number, running: number) {
    super("queue", timeoutMs);
    this.message = `the drain did not finish within ${timeoutMs} ms (${running} still running); it goes on server-side — reattach with \`buildfleet queue drain --wait\``;
  }
}

export interface DrainIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  signal?: AbortSignal;
}

/** "draining since … (reason): 3 running" — or nothing when no drain is in progress. */
export function drainLine(view: Pick<QueueView, "drain" | "counts">): string {
  const d = view.drain;
  if (!d) return "";
  const flags = [d.cancelQueued ? "queued builds cancelled" : "", d.rejectNew ? "new builds refused (503)" : ""].filter((f) => f !== "");
  return `${d.state} since ${d.since}${d.reason ? ` (${d.reason})` : ""}: ${view.counts.active} running${flags.length > 0 ? `; ${flags.join(", ")}` : ""}\n`;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason as Error);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/**
 * Starts the drain (repeating one is harmless, so reattaching is running the
 * same command again) and, with --wait, reports the running count whenever it
 * changes until it reaches zero, bounded by `timeoutMs`.
 */
export async function runDrain(
  client: BuildfleetClient,
  flags: DrainFlags,
  io: DrainIo,
  timeoutMs: number,
  pollMs = 1_000,
): Promise<void> {
  const signal = io.signal ? { signal: io.signal } : {};
  const answer = await client.drainQueue({
    ...(flags.cancelQueued ? { cancelQueued: true } : {}),
    ...(flags.rejectNew ? { rejectNew: true } : {}),
    ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
    ...signal,
  });
  if (flags.cancelQueued) io.stdout(`cancelled ${answer.cancelled} queued build${answer.cancelled === 1 ? "" : "s"} (reason Drained)\n`);
  io.stdout(`queue draining: intake paused${flags.rejectNew ? ", new builds refused with 503" : ""}; ${answer.running} running\n`);
  if (!flags.wait) return;
  const deadline = Date.now() + timeoutMs;
  let last = answer.running;
  for (;;) {
    const view = await client.queue(signal);
    const running = view.counts.active;
    if (running !== last) io.stderr(`${running} running\n`);
    last = running;
    if (!view.drain) {
      io.stdout("the drain was ended (queue resumed) before the running builds finished\n");
      return;
    }
    if (running === 0) {
      io.stdout("queue drained: 0 running\n");
      return;
    }
    if (Date.now() >= deadline) throw new DrainTimeoutError(timeoutMs, running);
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())), io.signal);
  }
}
