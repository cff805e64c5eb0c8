import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { HEARTBEAT_MS, type Logger, type WorkerRegistry, type WorkerState } from "@buildfleet/shared";

/**
 * This worker in the fleet registry: a heartbeat that reports id, host,
 * version, capacity, in-flight builds and state, and applies the state an
 * operator wants (quiet: take no new builds, keep following the in-flight
 * ones to the end). The wanted state lives in Redis, so a missed control
 * message is corrected by the next beat, and a quiet asked for by SIGTSTP
 * survives the heartbeat too.
 */

/** The slice of BuildWorker presence drives. */
export interface QuietableWorker {
  inFlightBuilds(): string[];
  quiet(): Promise<void>;
  unquiet(): Promise<void>;
  isQuiet(): boolean;
}

export interface PresenceOptions {
  id: string;
  registry: WorkerRegistry;
  worker: QuietableWorker;
  capacity: number;
  logger: Logger;
  heartbeatMs?: number;
  now?: () => number;
}

export function defaultWorkerId(): string {
  // The pod name in Kubernetes; the pid keeps two processes on one host apart.
  return `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 128);
}

function packageVersion(): string {
  try {
    // src/fleet and dist/fleet are both two levels below the package root.
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

export class WorkerPresence {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt: string;
  private readonly version = packageVersion();
  private current: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: PresenceOptions) {
    this.startedAt = new Date(this.now()).toISOString();
  }

  get id(): string {
    return this.options.id;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  async start(): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => void this.sync(), this.options.heartbeatMs ?? HEARTBEAT_MS);
    this.timer.unref();
  }

  /**
   * Re-reads the wanted state, applies it, and reports. Never throws (logged;
   * the next beat tries again). One beat at a time: a call during a beat
   * (a control message) makes one more beat follow it, so beats never pile up
   * while Redis is unreachable.
   */
  sync(): Promise<void> {
    if (this.current) {
      this.again = true;
      return this.current;
    }
    this.current = (async () => {
      do {
        this.again = false;
        if (this.stopped) return;
        try {
          const wanted = await this.options.registry.wanted(this.options.id);
          await this.apply(wanted);
          await this.report();
        } catch (err) {
          this.options.logger.warn({ err: { message: (err as Error).message } }, "worker heartbeat failed");
        }
      } while (this.again);
    })().finally(() => {
      this.current = undefined;
    });
    return this.current;
  }

  /** Asks for quiet (SIGTSTP): recorded in Redis like an operator's, then applied. */
  async quietSelf(): Promise<void> {
    await this.options.registry.setWanted(this.options.id, "quiet");
    await this.sync();
  }

  state(): WorkerState {
    return this.options.worker.isQuiet() ? "quiet" : "running";
  }

  private async apply(wanted: WorkerState): Promise<void> {
    const { worker, logger } = this.options;
    if (wanted === "quiet" && !worker.isQuiet()) {
      await worker.quiet();
      logger.warn({ inFlight: worker.inFlightBuilds().length }, "worker quiet: taking no new builds, finishing in-flight ones");
    } else if (wanted === "running" && worker.isQuiet()) {
      await worker.unquiet();
      logger.warn("worker resumed taking builds");
    }
  }

  private async report(): Promise<void> {
    await this.options.registry.report({
      id: this.options.id,
      host: hostname().slice(0, 253),
      pid: process.pid,
      version: this.version,
      capacity: this.options.capacity,
      inFlight: this.options.worker.inFlightBuilds().length,
      state: this.state(),
      startedAt: this.startedAt,
      heartbeatAt: new Date(this.now()).toISOString(),
    });
  }

  /**
   * Stops the heartbeat and removes the report (a clean stop is not shown as
   * gone). Bounded: with Redis unreachable the worker's commands wait for it,
   * and shutdown must not.
   */
  async stop(timeoutMs = 2_000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const removed = (async () => {
      await this.current;
      await this.options.registry.remove(this.options.id);
    })().catch((err: unknown) => {
      this.options.logger.warn({ err: { message: (err as Error).message } }, "could not remove the worker report");
    });
    if ((await Promise.race([removed, timeout])) === "timeout") {
      this.options.logger.warn({ timeoutMs }, "worker report not removed in time; it will show as gone");
    }
    clearTimeout(timer);
  }
}
