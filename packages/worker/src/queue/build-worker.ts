import { UnrecoverableError, WaitingError, Worker, type Job } from "bullmq";
import {
  BUILD_JOB_NAME,
  BuildQueues,
  FairShare,
  LaneSlotStore,
  RecentDurations,
  activeSpan,
  buildAttributes,
  bullmqTelemetry,
  sharedSlotLimit,
  TenantCapStore,
  type BuildStore,
  type FleetSlots,
  type Keyspace,
  type Logger,
  type Redis,
} from "@buildfleet/shared";
import { QueuedBuild, type Priority } from "@buildfleet/contract";
import { resultOf, runBuild, type BuildResult, type RunBuildDeps } from "../builds/run-build.js";
import { failedTransition } from "../builds/plan.js";
import { decideRetry, exhausted, type RetryDecision } from "./retry-policy.js";
import { SlotGate } from "../lanes/slot-gate.js";
import { BuildSignal, type StopSignal } from "../builds/build-signal.js";
import { ageBulkBuilds } from "../lanes/bulk-aging.js";

/** Longest Retry-After honoured inside the processor (it holds a concurrency slot meanwhile). */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * The BullMQ side of the worker: a thin, long-running processor per build
 * (create-or-adopt the Job, then follow the shared watch). Failure classes are
 * retried in exactly one layer: build failures by the Job's backoffLimit (they
 * end as a completed queue job whose result says `failed`), infrastructure
 * errors by BullMQ attempts (the processor throws), and what retrying cannot
 * fix (invalid requests, 401/403 from the API server) nowhere: the build fails
 * at once with the reason (UnrecoverableError). The decision is retry-policy.ts;
 * `settle` below is the one place it is applied.
 */

export interface BuildWorkerOptions {
  /** Connection for the BullMQ Worker (maxRetriesPerRequest: null). */
  connection: Redis;
  keyspace: Keyspace;
  store: BuildStore;
  deps: Omit<RunBuildDeps, "store" | "logger">;
  logger: Logger;
  concurrency: number;
  /** Slots of the fleet only interactive builds may take ("20%" of the fleet's slots or a count; default none). */
  reservedInteractive?: string;
  /**
   * Running slots of the whole fleet (every live worker's concurrency, this one's included), read at
   * most every 2 s; default: this worker's concurrency alone.
   */
  fleetSlots?: () => Promise<number>;
  /** A bulk build waiting longer moves up to the normal lane (0 or unset: never). */
  bulkAgingMs?: number;
  /** How long a slot that handed a build back (its lane has no free slot) waits before fetching again (default 100 ms: the most an interactive build waits for a resting slot). */
  handBackPauseMs?: number;
  /** Fleet-wide cap, reconciled into Redis at start; undefined removes a cap set earlier. */
  globalConcurrency: number | undefined;
  /** Long builds hold the lock for an hour: it is renewed every lockDuration/2 while the event loop lives. */
  lockDurationMs: number;
  stalledIntervalMs?: number;
  maxStalledCount: number;
  /** Told when a queue job's attempt failed (an infrastructure error), and whether it was the last (metrics). */
  onAttemptFailed?: (final: boolean) => void;
}

export class BuildWorker {
  private worker: Worker<unknown, BuildResult> | undefined;
  private readonly inFlight = new Map<string, { shutdown: BuildSignal; cancel: BuildSignal }>();
  private stopping: Promise<void> | undefined;
  private readonly gate: SlotGate;
  private readonly fairShare: FairShare;
  private readonly caps: TenantCapStore;
  private readonly laneSlots: LaneSlotStore;
  private readonly durations: RecentDurations;
  private fleetCache: { at: number; value: Promise<FleetSlots & { shared: number }> } | undefined;
  private lastFleet: (FleetSlots & { shared: number }) | undefined;
  /** Non-interactive builds holding one of the fleet's shared slots (the interactive reservation). */
  private readonly shared = new Set<string>();
  private capsCache: { at: number; value: Promise<Map<string, number>> } | undefined;
  /** Builds holding one of their tenant's fleet-wide running slots (maxRunning), by id → tenant. */
  private readonly capped = new Map<string, string>();
  private renewTimer: NodeJS.Timeout | undefined;
  private agingTimer: NodeJS.Timeout | undefined;
  private agingQueues: BuildQueues | undefined;
  /** One for every build: each followed build's closures capture it, so a copy per build would cost ~0.3 KiB each. */
  private readonly runDeps: RunBuildDeps;

  constructor(private readonly options: BuildWorkerOptions) {
    this.runDeps = { ...options.deps, store: options.store, logger: options.logger };
    this.gate = new SlotGate(options.concurrency);
    this.fairShare = new FairShare(options.connection, options.keyspace);
    this.caps = new TenantCapStore(options.connection, options.keyspace);
    this.laneSlots = new LaneSlotStore(options.connection, options.keyspace);
    this.durations = new RecentDurations(options.connection, options.keyspace);
  }

  /**
   * The fleet's slots and its interactive reservation (read at most every 2 s), published for
   * the API's ETAs. Never fewer slots than this worker's own: a fleet just starting, whose other
   * workers have not reported yet, reserves by this worker alone.
   */
  private fleetLimit(): Promise<FleetSlots & { shared: number }> {
    const now = Date.now();
    if (!this.fleetCache || now - this.fleetCache.at >= 2_000) {
      const read = this.options.fleetSlots ?? (() => Promise.resolve(this.options.concurrency));
      const value = read().then(async (slots) => {
        const limit = sharedSlotLimit(Math.max(slots, this.options.concurrency), this.options.reservedInteractive ?? "0");
        await this.laneSlots.publish({ slots: limit.slots, reserved: limit.reserved }, 30_000).catch(() => undefined);
        this.lastFleet = limit;
        return limit;
      });
      this.fleetCache = { at: now, value };
      value.catch(() => (this.fleetCache = undefined));
    }
    return this.fleetCache.value;
  }

  private get capLeaseMs(): number {
    return Math.max(30_000, this.options.lockDurationMs * 2);
  }

  /** The tenant's published maxRunning (read at most every 2 s). */
  private async maxRunningOf(tenant: string): Promise<number | undefined> {
    const now = Date.now();
    if (!this.capsCache || now - this.capsCache.at >= 2_000) {
      const value = this.caps.maxRunning();
      this.capsCache = { at: now, value };
      value.catch(() => (this.capsCache = undefined));
    }
    return (await this.capsCache.value).get(tenant);
  }

  /** Slots of the fleet only interactive builds may take, as this worker last computed them. */
  reservedSlots(): number {
    return this.lastFleet?.reserved ?? sharedSlotLimit(this.options.concurrency, this.options.reservedInteractive ?? "0").reserved;
  }

  /** Running builds of this worker by lane. */
  runningByLane(): ReturnType<SlotGate["byLane"]> {
    return this.gate.byLane();
  }

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
    this.worker.on("failed", (job, err) => {
      logger.warn({ buildId: job?.id, err: { message: err.message } }, "build queue job failed");
      // BullMQ sets finishedOn only when it will not try again (attempts used up, UnrecoverableError).
      const final = job === undefined || typeof job.finishedOn === "number";
      this.options.onAttemptFailed?.(final);
    });
    this.renewTimer = setInterval(() => {
      for (const [buildId, tenant] of this.capped) {
        this.caps.renew(tenant, buildId, this.capLeaseMs).catch((err: unknown) => logger.warn({ err, buildId }, "tenant slot lease not renewed"));
      }
      for (const buildId of this.shared) {
        this.laneSlots.renew(buildId, this.capLeaseMs).catch((err: unknown) => logger.warn({ err, buildId }, "shared lane slot lease not renewed"));
      }
      // Keeps the published fleet slots (the API's ETAs) fresh while nothing non-interactive is admitted.
      this.fleetLimit().catch((err: unknown) => logger.warn({ err }, "fleet slots not read"));
    }, Math.floor(this.capLeaseMs / 3));
    this.renewTimer.unref();
    const agingMs = this.options.bulkAgingMs ?? 0;
    if (agingMs > 0) {
      const queues = new BuildQueues({ connection, keyspace });
      this.agingQueues = queues;
      let sweeping = false;
      this.agingTimer = setInterval(() => {
        if (sweeping) return;
        sweeping = true;
        ageBulkBuilds(connection, queues, agingMs, logger)
          .catch((err: unknown) => logger.warn({ err }, "bulk aging sweep failed"))
          .finally(() => (sweeping = false));
      }, Math.min(30_000, Math.max(1_000, Math.floor(agingMs / 4))));
      this.agingTimer.unref();
    }
    await this.fleetLimit().catch((err: unknown) => logger.warn({ err }, "fleet slots not read"));
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

  /**
   * Quiet: take no new builds, keep following the in-flight ones to the end
   * (BullMQ's local pause without waiting; locks keep being renewed).
   */
  async quiet(): Promise<void> {
    await this.worker?.pause(true);
  }

  async unquiet(): Promise<void> {
    if (this.stopping) return;
    await this.worker?.resume();
  }

  isQuiet(): boolean {
    return this.worker?.isPaused() ?? false;
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
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.agingTimer) clearInterval(this.agingTimer);
    await this.agingQueues?.close().catch(() => undefined);
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
    // The raw payload is a second copy of the request, and BullMQ keeps the Job object until the
    // build ends (an hour, 10,000 at a time); it never reads `data` of an active job again (the
    // next attempt is fetched from Redis afresh). Only `build` is kept.
    job.data = undefined;
    if (this.worker?.isPaused() && !this.stopping) {
      // Quiet: BullMQ's pause does not abort a blocking fetch already under way, which can still
      // hand us a job. Give it back untouched (no attempt used) for another worker.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    const admitted = await this.admit(build.buildId, build.tenant, build.request.priority, job.timestamp);
    if (!admitted) {
      // Its lane has no free slot in the fleet (the rest is reserved for interactive builds), or its
      // tenant runs its maxRunning already: give it back
      // untouched (no attempt used), and let this slot rest a moment so it does not spin on the
      // same head of the queue; an interactive build behind it is fetched by the next free slot.
      await job.moveToWait(token);
      await delay(this.options.handBackPauseMs ?? 100, new BuildSignal());
      throw new WaitingError();
    }
    // The lane's fair-share clock moves to this build's tag (best effort: it only orders later submissions).
    if (job.priority > 0) {
      this.fairShare.taken(build.request.priority, job.priority).catch((err: unknown) => this.options.logger.warn({ err }, "fair-share clock not advanced"));
    }
    // Not AbortControllers: held for the build's whole run, an AbortController costs ~0.4 KiB (see build-signal.ts).
    const controllers = { shutdown: new BuildSignal(), cancel: new BuildSignal() };
    this.inFlight.set(build.buildId, controllers);
    if (this.stopping) controllers.shutdown.abort();
    // BullMQ's process span (a child of the API's submit when tracing is on) carries the build.
    const span = activeSpan();
    span?.setAttributes(buildAttributes({ buildId: build.buildId, tenant: build.tenant, destinations: build.request.destinations }));
    const running = runBuild(build, this.runDeps, controllers);
    // Returned, not awaited: this frame (the queue entry parsed, the request) ends here; what
    // waits for the build's whole run is awaitRun's, which holds only what it needs afterwards.
    return this.awaitRun(job, token, { buildId: build.buildId, tenant: build.tenant, lane: build.request.priority }, controllers, span, running);
  }

  /** Waits out one admitted build's run, then applies the retry table and gives its slots back. */
  private async awaitRun(
    job: Job<unknown, BuildResult>,
    token: string | undefined,
    build: { buildId: string; tenant: string; lane: Priority },
    controllers: { shutdown: BuildSignal },
    span: ReturnType<typeof activeSpan>,
    running: Promise<BuildResult>,
  ): Promise<BuildResult> {
    const admittedAt = Date.now();
    try {
      const result = await running;
      if (result.state === "succeeded" || result.state === "failed") {
        // The lane's recent slot-holding times feed the ETAs (a cancel says nothing about build length).
        this.durations.record(build.lane, Date.now() - admittedAt).catch((err: unknown) => this.options.logger.warn({ err }, "build duration not recorded"));
      }
      span?.addEvent(`build.${result.state}`, { "buildfleet.build.state": result.state, ...(result.digest !== undefined ? { "buildfleet.build.digest": result.digest } : {}) });
      return result;
    } catch (err) {
      return await this.settle(job, token, build.buildId, err, controllers.shutdown);
    } finally {
      this.inFlight.delete(build.buildId);
      await this.releaseSlots(build.buildId, build.tenant);
    }
  }

  /**
   * Takes every slot the build needs, or none: one of this worker's, one of the fleet's shared
   * slots unless it is interactive, one of its tenant's (maxRunning). Anything taken is given
   * back when a later step says no or fails.
   */
  private async admit(buildId: string, tenant: string, lane: Priority, enqueuedAt: number): Promise<boolean> {
    if (!this.gate.admit({ buildId, tenant, lane, enqueuedAt })) return false;
    try {
      if (lane !== "interactive") {
        const { shared } = await this.fleetLimit();
        if (!(await this.laneSlots.acquire(buildId, shared, this.capLeaseMs))) {
          await this.releaseSlots(buildId, tenant);
          return false;
        }
        this.shared.add(buildId);
      }
      const max = await this.maxRunningOf(tenant);
      if (max !== undefined) {
        if (!(await this.caps.acquire(tenant, buildId, max, this.capLeaseMs))) {
          await this.releaseSlots(buildId, tenant);
          return false;
        }
        this.capped.set(buildId, tenant);
      }
      return true;
    } catch (err) {
      await this.releaseSlots(buildId, tenant);
      throw err;
    }
  }

  private async releaseSlots(buildId: string, tenant: string): Promise<void> {
    this.gate.release(buildId);
    const { logger } = this.options;
    if (this.shared.delete(buildId)) await this.laneSlots.release(buildId).catch((err: unknown) => logger.warn({ err }, "shared lane slot not released"));
    if (this.capped.delete(buildId)) await this.caps.release(tenant, buildId).catch((err: unknown) => logger.warn({ err }, "tenant slot not released"));
  }

  /**
   * Applies the retry table to an error that ended a run. A build that will not
   * be retried (fail-now, or its last attempt) gets its terminal record and
   * event here, so it never stays `queued` behind a queue entry in BullMQ's
   * failed set. The store makes the transition idempotent: one terminal event.
   */
  private async settle(job: Job<unknown, BuildResult>, token: string | undefined, buildId: string, err: unknown, shutdown: StopSignal): Promise<never> {
    let decision: RetryDecision = decideRetry(err);
    const attempts = job.opts.attempts ?? 1;
    if (decision.action === "retry" && job.attemptsMade + 1 >= attempts) decision = exhausted(err, attempts);
    switch (decision.action) {
      case "hand-back":
        // Back to wait without using an attempt or counting as a stall.
        await job.moveToWait(token);
        throw new WaitingError();
      case "retry":
        if (decision.minDelayMs !== undefined) await delay(Math.min(decision.minDelayMs, MAX_RETRY_AFTER_MS), shutdown);
        throw err;
      case "fail": {
        const res = await this.options.store.transition(buildId, failedTransition({ reason: decision.reason, message: decision.message }));
        this.options.logger.warn(
          { buildId, reason: decision.reason, state: resultOf(res.record).state, attemptsMade: job.attemptsMade + 1 },
          "build failed without a further queue attempt",
        );
        throw new UnrecoverableError(decision.message);
      }
    }
  }

  /** BullMQ persists global concurrency in Redis: make it match this deployment's config. */
  private async reconcileGlobalConcurrency(): Promise<void> {
    const queues = new BuildQueues({ connection: this.options.connection, keyspace: this.options.keyspace });
    try {
      await queues.setGlobalConcurrency(this.options.globalConcurrency);
    } finally {
      await queues.close();
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (shutdown must not wait out a Retry-After). */
function delay(ms: number, signal: StopSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
