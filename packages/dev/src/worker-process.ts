import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * The worker as a child process, started the way it runs in production (its
 * own entry point, configuration from the environment). A separate process
 * also keeps its shutdown honest: SIGTERM, then a bounded wait, then SIGKILL.
 *
 * The entry is the worker package's exported `./main`, resolved the way this
 * process resolves packages: with the `source` condition (pnpm dev, tests) it
 * is src/main.ts, run through tsx; otherwise the built dist/main.js, run by node.
 */

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** PURE: the node arguments that run the worker entry `main` (a file path), after any node flags of the caller's. */
export function workerCommandArgs(main: string, nodeFlags: readonly string[] = []): string[] {
  return main.endsWith(".ts") ? [...nodeFlags, "--import", "tsx", "--conditions=source", main] : [...nodeFlags, main];
}

/** The worker package's `./main` entry, as this process resolves it. */
export function resolveWorkerMain(): string {
  return fileURLToPath(import.meta.resolve("@buildfleet/worker/main"));
}

export interface WorkerProcess {
  pid: number | undefined;
  /** Last lines the worker wrote (for error messages). */
  outputTail(): string;
  /** Resolves with the exit code (or signal) when the process ends, whoever ended it. */
  readonly exited: Promise<string>;
  stop(timeoutMs: number): Promise<void>;
}

export interface StartWorkerOptions {
  env: Record<string, string>;
  /** The entry to run (default: resolveWorkerMain()); a dist/main.js runs compiled, as the image does. */
  main?: string;
  /** Node flags placed before the entry (e.g. --expose-gc for a benchmark's probe). */
  nodeFlags?: readonly string[];
  /** The worker's health port, polled on /readyz until it answers 200. */
  healthPort: number;
  readyTimeoutMs?: number;
  onOutput?: (text: string) => void;
}

export async function startWorkerProcess(options: StartWorkerOptions): Promise<WorkerProcess> {
  const child = spawn(process.execPath, workerCommandArgs(options.main ?? resolveWorkerMain(), options.nodeFlags), {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail: string[] = [];
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString("utf8");
    tail = [...tail, ...text.split("\n").filter((l) => l !== "")].slice(-30);
    options.onOutput?.(text);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  let exitedWith = "";
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exitedWith = signal !== null ? `signal ${signal}` : `code ${String(code)}`;
      resolve();
    }),
  );
  const handle: WorkerProcess = {
    pid: child.pid,
    exited: exited.then(() => exitedWith),
    outputTail: () => tail.join("\n"),
    stop: (timeoutMs) => stopChild(child, exited, timeoutMs),
  };
  try {
    await waitReady(child, exited, options.healthPort, options.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await handle.stop(5_000);
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nworker output:\n${handle.outputTail()}`);
  }
  return handle;
}

async function waitReady(child: ChildProcess, exited: Promise<void>, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited.then(() => (gone = true));
  // Bounded polling of the health endpoint: the worker signals readiness nowhere else.
  while (Date.now() < deadline) {
    if (gone) throw new Error(`the worker exited during start-up (code ${String(child.exitCode)})`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the worker was not ready within ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess, exited: Promise<void>, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve();
    }, timeoutMs);
  });
  await Promise.race([exited, killed]);
  clearTimeout(timer);
  await exited;
}
