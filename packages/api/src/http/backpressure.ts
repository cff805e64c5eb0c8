import type { EventEmitter } from "node:events";

/**
 * Resolves when `out` may be written again: it drained, closed or failed, or
 * `signal` aborted. It leaves no listener behind on either: a long-lived
 * stream to a slow client waits here thousands of times, and
 * `Promise.race([once(out, "drain"), once(out, "close")])` left the losing
 * `close` (and its `error`) listener on the response every time — a leak per
 * backpressure wait, reported by Node as MaxListenersExceededWarning.
 */
export function drained(out: EventEmitter, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = (): void => {
      out.off("drain", finish);
      out.off("close", finish);
      out.off("error", finish);
      signal?.removeEventListener("abort", finish);
      resolve();
    };
    out.on("drain", finish);
    out.on("close", finish);
    out.on("error", finish);
    signal?.addEventListener("abort", finish);
  });
}
