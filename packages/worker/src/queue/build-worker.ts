import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from "bullmq";
import {
  BUILD_JOB_NAME,
  QueuedBuild,
  activeSpan,
  buildAttributes,
  bullmqTelemetry,
  type BuildStore,
  type Keyspace,
  type Logger,
  type Redis,
} from "@buildfleet/shared";
import { HandBackError, InvalidBuildError, runBuild, type BuildResult, type RunBuildDeps } from "../builds/run-build.js";

/**
 * The BullMQ side of the worker: a thin, long-running processor per build
 * (create-or-adopt the Job, then follow the shared watch). Failure classes are
 * retried in exactly one layer: build failures by the Job's backoffLimit (they
 * end as a completed queue job whose result says `failed`), infrastructure
 * errors by BullMQ attempts (the processor throws), invalid requests nowhere
 * (UnrecoverableError).
 */

export interface BuildWorkerOptions {
  /** Connection for the BullMQ Worker (maxRetriesPerRequest: null). */
  connection: Redis;
  keyspace: Keyspace;
  store: BuildStore;
  deps: Omit<RunBuildDeps, "store" | "logger">;
  logger: Logger;
  concurrency: number;
  /** Fleet-wide cap, reconciled into Redis at start; undefined removes a cap set earlier. */
  globalConcurrency: number | undefined;
  /** Long builds hold the lock for an hour: it is renewed every lockDuration/2 while the event loop lives. */
  lockDurationMs: number;
  stalledIntervalMs?: number;
  maxStalledCount: number;
}

export class BuildWorker {
  private worker: Worker<unknown, BuildResult> | undefined;
  private readonly inFlight = new Map<string, { shutdown: AbortController; cancel: AbortController }>();
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: BuildWorkerOptions) {}

  async start(): Promise<void> {
    if (this.worker) return;
    const { connection, keyspace, logger } = this.options;
    await this.reconcileGlobalConcurrency();
    this.worker = new Worker<unknown, BuildResult>(keyspace.buildQueue, (job, token) => this.process(job, token), {
      connection,
      prefix: keyspace.bullPrefix,
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockDurationMs,
      stalledInterval: this.options.stalledIntervalMs ?? Math.max(5_000, Math.floor(this.options.lockDurationMs / 2)),
      maxStalledCount: this.options.maxStalledCount,
      autorun: false,
      ...bullmqTelemetry(),
    });
    this.worker.on("error", (err) => logger.error({ err: { message: err.message } }, "queue worker error"));
    this.worker.on("failed", (job, err) =>
      logger.warn({ buildId: job?.id, err: { message: err.message } }, "build queue job failed"),
    );
    void this.worker.run().catch((err: unknown) => logger.error({ err }, "queue worker stopped"));
    await this.worker.waitUntilReady();
  }

  /** Builds this worker follows right now. */
  inFlightBuilds(): string[] {
    return [...this.inFlight.keys()];
  }

  /** Signals the owner of a build (if this process) that a cancel was requested. */
  cancel(buildId: string): boolean {
    const entry = this.inFlight.get(buildId);
    if (!entry) return false;
    entry.cancel.abort();
    return true;
  }

  isRunning(): boolean {
    return this.worker?.isRunning() ?? false;
  }

  /**
   * Stops taking work and hands every in-flight build back to the queue (its
   * Job keeps running; the next worker adopts it). Bounded by `timeoutMs`.
   */
  stop(timeoutMs: number): Promise<void> {
    this.stopping ??= this.doStop(timeoutMs);
    return this.stopping;
  }

  private async doStop(timeoutMs: number): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    for (const entry of this.inFlight.values()) entry.shutdown.abort();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const outcome = await Promise.race([worker.close().then(() => "closed" as const), timedOut]);
    if (timer) clearTimeout(timer);
    if (outcome === "timeout") {
      this.options.logger.warn({ timeoutMs }, "queue worker did not close in time; forcing");
      await worker.close(true);
    }
  }

  private async process(job: Job<unknown, BuildResult>, token: string | undefined): Promise<BuildResult> {
    const parsed = QueuedBuild.safeParse(job.data);
    if (!parsed.success || job.name !== BUILD_JOB_NAME) {
      throw new UnrecoverableError(`queue job ${job.id ?? "?"} is not a valid build request`);
    }
    const build = parsed.data;
    const controllers = { shutdown: new AbortController(), cancel: new AbortController() };
    this.inFlight.set(build.buildId, controllers);
    if (this.stopping) controllers.shutdown.abort();
    // BullMQ's process span (a child of the API's submit when tracing is on) carries the build.
    const span = activeSpan();
    span?.setAttributes(buildAttributes({ buildId: build.buildId, tenant: build.tenant, destinations: build.request.destinations }));
    try {
      const result = await runBuild(
        build,
        { ...this.options.deps, store: this.options.store, logger: this.options.logger },
        { shutdown: controllers.shutdown.signal, cancel: controllers.cancel.signal },
      );
      span?.addEvent(`build.${result.state}`, { "buildfleet.build.state": result.state, ...(result.digest !== undefined ? { "buildfleet.build.digest": result.digest } : {}) });
      return result;
    } catch (err) {
      if (err instanceof HandBackError) {
        // Back to wait without using an attempt or counting as a stall.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (err instanceof InvalidBuildError) throw new UnrecoverableError(err.message);
      throw err;
    } finally {
      this.inFlight.delete(build.buildId);
    }
  }

  /** BullMQ persists global concurrency in Redis: make it match this deployment's config. */
  private async reconcileGlobalConcurrency(): Promise<void> {
    const queue = new Queue(this.options.keyspace.buildQueue, {
      connection: this.options.connection,
      prefix: this.options.keyspace.bullPrefix,
    });
    try {
      if (this.options.globalConcurrency === undefined) await queue.removeGlobalConcurrency();
      else await queue.setGlobalConcurrency(this.options.globalConcurrency);
    } finally {
      await queue.close();
    }
  }
}
