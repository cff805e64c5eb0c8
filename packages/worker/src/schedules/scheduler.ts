import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { Queue, Worker, type Job } from "bullmq";
import {
  BuildQueues,
  BuildStore,
  CatalogStore,
  ScheduleStore,
  createWorkerConnection,
  credentialsFromSecretData,
  dueFiring,
  fireSchedule,
  latestFire,
  followCascade,
  cascadeTargets,
  buildGraph,
  startRebuild,
  WaveStore,
  headManifestDigest,
  RegistryBudget,
  spreadMs,
  keyspace,
  requestCancel,
  scheduleId,
  submitBuild,
  waitForReady,
  type CascadeDeps,
  type FireDeps,
  type HeadOptions,
  type Logger,
  type Redis,
  type RegistryCredentials,
  type ScheduleRun,
  type StoredSchedule,
  type WorkerConfig,
} from "@buildfleet/shared";
import { planSchedulerSync, type ExistingScheduler } from "./job-schedulers.js";

/** The queue BullMQ's job schedulers put each schedule's firing jobs on. */
export const SCHEDULE_FIRINGS_QUEUE = "schedule-firings";

/** 1: renewed, 2: taken (a new owner, which reconciles everything), 0: someone else's. */
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then redis.call("pexpire", KEYS[1], ARGV[2]) return 1 end
if redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[2], "NX") then return 2 end
return 0`;

/**
 * Fires schedules (issue 14). Runs in the worker process beside the rebuild
 * coordinator, on every replica.
 *
 * The clock is BullMQ's job schedulers: one per active schedule
 * (`upsertJobScheduler(id, { pattern: cron, tz: timeZone })`) on the
 * schedule-firings queue, upserted and removed only by the one replica that
 * holds the owner lease (concurrent upserts are how scheduler duplicates
 * appear). Every replica runs a BullMQ Worker on that queue; a firing job
 * wakes `fireDue` for its schedule, which decides from the stored cursor, not
 * from the job, what (if anything) is due:
 *
 * - the lock keeps two replicas from firing one schedule at once;
 * - the run and the cursor are written together, after the submit, so a
 *   replica killed in between fires the same scheduled time again, and the
 *   submit's idempotency key (schedule + fire time) returns the same build;
 * - only the latest missed time fires (one catch-up after downtime), within
 *   startingDeadlineSeconds.
 *
 * So a job scheduler that fires twice, late, or a burst of iterations after
 * downtime still makes at most one build per scheduled time and one catch-up.
 * The owner's pass is incremental: every store write bumps a schedules
 * version and logs the id, so a pass reads only the schedules changed since
 * the version it applied (nothing changed: no schedule is read), with a full
 * comparison on taking the lease and every fullReconcileMs as the safety net.
 * Manual triggers (POST …/trigger) are picked up from a set by every
 * replica's reconcile loop. Time comes from `now`: tests and the benchmark
 * call `tick()` (every schedule, as if each one's job had come) with a clock
 * they move, instead of waiting for BullMQ's real-time delays.
 */

/** Changed schedules read (and their job schedulers) per round trip on an incremental pass. */
const CHANGES_PER_READ = 500;

function wantedSchedulers(schedules: readonly StoredSchedule[]) {
  return schedules.filter((s) => !s.schedule.spec.suspend).map((s) => ({ id: scheduleId(s.tenant, s.schedule.metadata.name), pattern: s.schedule.spec.cron, tz: s.schedule.spec.timeZone }));
}

export interface SchedulerOptions {
  config: WorkerConfig;
  logger: Logger;
  now?: () => Date;
  /** How often the owner reconciles the job schedulers and every replica looks for manual triggers (default 2 s). */
  tickMs?: number;
  /**
   * The owner applies only the schedules changed since the version it last applied; every this often
   * (and on taking the lease) it lists them all and compares with every job scheduler (default 5 min).
   */
  fullReconcileMs?: number;
  /** How long the owner lease lasts without renewal (default 15 s). */
  ownerLeaseMs?: number;
  /** Firing jobs processed at once per replica (default 16: a firing mostly waits on a registry). */
  concurrency?: number;
  /** How long one replica may hold a schedule while firing it. */
  lockMs?: number;
  /** Registry HEAD options (plain-http hosts, timeouts, a registry alias → URL map in tests). */
  registry?: HeadOptions & { hostAliases?: Record<string, string> };
  /**
   * A Secret's data from the build namespace (undefined: no such Secret), for a mirror's
   * registryCredentials. Needs RBAC `get` on `secrets` there (deploy/base/rbac.yaml).
   * Not given: a mirror naming a Secret fails its firing.
   */
  readSecret?: (name: string) => Promise<Record<string, string> | undefined>;
  /** HEAD checks per second per registry host, fleet-wide (default: config.worker.schedules.headsPerSecond). */
  headsPerSecond?: number;
  /** Each schedule fires up to this long after its time, by a stable per-name offset (default: config.worker.schedules.spreadMs; 0 in tests). */
  spreadMs?: number;
}

export class Scheduler {
  private readonly logger: Logger;
  private readonly redis: Redis;
  private readonly queues: BuildQueues;
  /** BullMQ job schedulers of the schedules (not builds): its own queue, outside the build queue port. */
  private readonly firings: Queue;
  private worker: Worker | undefined;
  private workerConnection: Redis | undefined;
  private readonly ks: ReturnType<typeof keyspace>;
  readonly schedules: ScheduleStore;
  private readonly deps: Omit<FireDeps, "runs">;
  private readonly cascadeDeps: Omit<CascadeDeps, "runs" | "updateRun">;
  private readonly now: () => Date;
  private readonly token = `${hostname()}-${process.pid}-${randomUUID()}`;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  /** The schedules version this owner's job schedulers reflect; undefined: not the owner, or not applied yet. */
  private applied: { version: number; at: number; fullVersion: number } | undefined;
  /** The cascade schedules the owner follows on each pass, kept from its full and incremental reads. */
  private readonly cascading = new Map<string, StoredSchedule>();

  constructor(private readonly options: SchedulerOptions) {
    const { config } = options;
    const ks = keyspace(config.redis.prefix);
    this.now = options.now ?? (() => new Date());
    this.logger = options.logger.child({ component: "scheduler" });
    this.redis = createWorkerConnection(config.redis.url, { connectionName: "buildfleet-scheduler" });
    this.redis.on("error", (err: Error) => this.logger.warn({ err: { message: err.message } }, "redis connection error"));
    this.ks = ks;
    this.queues = new BuildQueues({ connection: this.redis, keyspace: ks });
    this.firings = new Queue(SCHEDULE_FIRINGS_QUEUE, { connection: this.redis, prefix: ks.bullPrefix });
    this.schedules = new ScheduleStore(this.redis, config.redis.prefix, this.now);
    const store = new BuildStore({ redis: this.redis, keyspace: ks, source: `/buildfleet/scheduler/${hostname()}` });
    const catalog = new CatalogStore(this.redis, ks);
    const { hostAliases = {}, ...head } = options.registry ?? {};
    // Real time, not the schedule clock: the budget paces real requests.
    const budget = new RegistryBudget({ redis: this.redis, prefix: ks.bullPrefix, perSecond: options.headsPerSecond ?? config.worker.schedules.headsPerSecond });
    this.deps = {
      getBuild: (id) => store.get(id),
      submit: async (tenant, request, idempotencyKey, pinned) => {
        // Real time, not the schedule clock: the queue deadline is measured from submittedAt.
        const res = await submitBuild({ store, queue: this.queues }, { tenant, request, idempotencyKey, ...(pinned?.sourceDigest !== undefined ? { sourceDigest: pinned.sourceDigest } : {}) });
        return { buildId: res.created ? res.record.id : res.buildId };
      },
      cancel: async (id) => {
        await requestCancel({ store, queue: this.queues, redis: this.redis, keyspace: ks }, id, "scheduler", {});
      },
      resolveDigest: async (ref, secretName) => {
        const registry = hostAliases[ref.registry] ?? ref.registry;
        const credentials = secretName === undefined ? undefined : await this.credentials(secretName, ref.registry);
        await budget.take(registry);
        return headManifestDigest({ ...ref, registry }, { ...head, ...(credentials !== undefined ? { credentials } : {}), onRateLimited: (ms) => budget.hold(registry, ms) });
      },
      imageTarget: async (tenant, name) => {
        const stored = await catalog.get(tenant, name);
        if (stored === undefined) return undefined;
        return { request: stored.image.spec.build, bases: stored.resolution.state === "resolved" ? stored.resolution.bases.map((b) => b.reference) : undefined };
      },
      tagPolicy: config.builds.tagPolicy,
      logger: this.logger,
    };
    const runner = { store, queue: this.queues, redis: this.redis, ks, tagPolicy: config.builds.tagPolicy, catalog, waves: new WaveStore(this.redis, ks), logger: this.logger };
    this.cascadeDeps = {
      getBuild: (id) => store.get(id),
      startWave: async (tenant, image, digest, reason) => {
        // The schedule's tenant scope (its allow-lists): the image's dependents not built from this digest yet,
        // through any of its destinations, and what is below them — one wave, never the image itself again.
        const { catalog: entries, status } = await catalog.catalog();
        const targets = cascadeTargets(buildGraph(entries), `${tenant}/${image}`, digest, tenant, (id) => status.get(id)?.builtFrom);
        if (targets.kind !== "wave") return { none: targets.kind };
        const scope = { kind: "tenant" as const, tenant };
        const trigger = { base: image, digest, dependents: targets.dependents };
        return { waveId: (await startRebuild(runner, { startedBy: `schedule:${tenant}`, scope, trigger, reason })).id };
      },
      logger: this.logger,
    };
  }

  /** The named Secret's credentials for `registry` (read each firing: a rotated Secret is used at once). */
  private async credentials(secretName: string, registry: string): Promise<RegistryCredentials | undefined> {
    if (this.options.readSecret === undefined) throw new Error(`registryCredentials ${secretName}: this scheduler cannot read Secrets`);
    const data = await this.options.readSecret(secretName);
    if (data === undefined) throw new Error(`registryCredentials: Secret ${secretName} not found in the build namespace`);
    const found = credentialsFromSecretData(data, registry);
    if (!found.ok) throw new Error(`registryCredentials: Secret ${secretName}: ${found.problem}`);
    return found.credentials;
  }

  async start(): Promise<void> {
    if (this.timer !== undefined || this.stopped !== undefined) return;
    await waitForReady(this.redis, 15_000);
    // A BullMQ Worker needs its own blocking connection.
    this.workerConnection = createWorkerConnection(this.options.config.redis.url, { connectionName: "buildfleet-schedule-firings" });
    this.workerConnection.on("error", (err: Error) => this.logger.warn({ err: { message: err.message } }, "redis connection error"));
    this.worker = new Worker(SCHEDULE_FIRINGS_QUEUE, (job: Job<{ id: string }>) => this.fireJob(job), {
      connection: this.workerConnection,
      prefix: this.ks.bullPrefix,
      concurrency: this.options.concurrency ?? 16,
    });
    this.worker.on("error", (err: Error) => this.logger.warn({ err: { message: err.message } }, "schedule firings worker error"));
    this.timer = setInterval(() => {
      this.ticking ??= this.reconcile().finally(() => (this.ticking = undefined));
    }, this.options.tickMs ?? 2_000);
    this.timer.unref();
    this.ticking = this.reconcile().finally(() => (this.ticking = undefined));
    this.logger.info("scheduler started");
  }

  /**
   * A job scheduler's firing: what is due for this schedule now (the job's own time is only a wake-up).
   * Every scheduler at :00 gets its job at :00, so a firing inside its schedule's jitter window is
   * put off to the end of it as a one-off delayed job (deterministic id: a repeat adds nothing).
   */
  private async fireJob(job: Job<{ id: string }>): Promise<void> {
    const { id } = job.data;
    const stored = await this.schedules.getById(id);
    if (stored === undefined) return; // deleted since; the owner removes its scheduler on its next pass
    if (job.name !== "spread") {
      const now = this.now();
      const latest = latestFire(stored.schedule.spec.cron, stored.schedule.spec.timeZone, now);
      const wait = latest === undefined ? 0 : spreadMs(id, this.options.spreadMs ?? this.options.config.worker.schedules.spreadMs) - (now.getTime() - latest.getTime());
      if (latest !== undefined && wait > 0) {
        // Job ids hold no ':' (bullmq#4052).
        await this.firings.add("spread", { id }, { delay: wait, jobId: `spread-${encodeURIComponent(id)}-${latest.getTime()}`, removeOnComplete: true, removeOnFail: 100 });
        return;
      }
    }
    await this.tickOne(stored);
  }

  /** The owner's pass over the job schedulers, and every replica's pass over manual triggers. Never throws. */
  async reconcile(): Promise<void> {
    try {
      const owner = `${this.ks.bullPrefix}:schedules:owner`;
      const lease = await this.redis.eval(RENEW, 1, owner, this.token, String(this.options.ownerLeaseMs ?? 15_000));
      if (lease === 0 || lease === 2) this.applied = undefined; // another owner may have written meanwhile
      if (lease !== 0) await this.syncJobSchedulers();
      for (const id of await this.schedules.pendingTriggers()) {
        if (this.stopped !== undefined) return;
        const stored = await this.schedules.getById(id);
        if (stored !== undefined) await this.tickOne(stored);
        // Forgotten only once handled: tickOne returns without handling when another replica holds the lock.
        const state = stored === undefined ? undefined : await this.schedules.state(id);
        if (state === undefined || (state.triggerHandledAt ?? 0) >= (state.triggerAt ?? 0)) await this.schedules.forgetTrigger(id);
      }
    } catch (err) {
      this.applied = undefined; // the next pass starts over from a full read
      this.logger.warn({ err: { message: (err as Error).message } }, "schedule reconcile failed");
    }
  }

  /**
   * One job scheduler per active schedule, with its cron pattern and time zone; only the difference is written.
   * Incremental: only the schedules put or deleted since the version last applied are read, and only their job
   * schedulers; a pass with nothing changed reads no schedule. A full pass (every schedule against every job
   * scheduler) when this replica has applied nothing yet (start, lease taken over, a failed pass) and at least
   * every fullReconcileMs, to repair anything written behind the store's back.
   */
  async syncJobSchedulers(): Promise<void> {
    const nowMs = Date.now(); // real time: the interval bounds work, not the schedule clock
    const full = this.applied === undefined || nowMs - this.applied.at >= (this.options.fullReconcileMs ?? 300_000);
    let version: number;
    let plan: ReturnType<typeof planSchedulerSync>;
    if (full) {
      // The version before the list: a change made while listing is read again by the next incremental pass.
      version = await this.schedules.version();
      const all = await this.schedules.list();
      this.cascading.clear();
      for (const s of all) this.remember(scheduleId(s.tenant, s.schedule.metadata.name), s);
      plan = planSchedulerSync(wantedSchedulers(all), await this.firings.getJobSchedulers(0, -1));
    } else {
      const changes = await this.schedules.changesSince(this.applied!.version);
      version = changes.version;
      if (changes.ids.length === 0) {
        await this.followCascades();
        return;
      }
      const present: StoredSchedule[] = [];
      const existing: ExistingScheduler[] = [];
      // In chunks: a bulk apply of thousands of schedules must not put thousands of reads in flight at once.
      for (let i = 0; i < changes.ids.length; i += CHANGES_PER_READ) {
        const ids = changes.ids.slice(i, i + CHANGES_PER_READ);
        const stored = await this.schedules.getMany(ids);
        for (const id of ids) this.remember(id, stored.get(id));
        present.push(...[...stored.values()].filter((s): s is StoredSchedule => s !== undefined));
        const jobs = await Promise.all(ids.map((id) => this.firings.getJobScheduler(id)));
        jobs.forEach((j, k) => {
          if (j !== undefined && j !== null) existing.push({ key: ids[k]!, pattern: j.pattern, tz: j.tz });
        });
      }
      plan = planSchedulerSync(wantedSchedulers(present), existing);
    }
    for (const w of plan.upsert) {
      await this.firings.upsertJobScheduler(w.id, { pattern: w.pattern, tz: w.tz }, { name: "fire", data: { id: w.id }, opts: { removeOnComplete: true, removeOnFail: 100 } });
    }
    for (const key of plan.remove) await this.firings.removeJobScheduler(key);
    if (plan.upsert.length + plan.remove.length > 0) this.logger.info({ upserted: plan.upsert.length, removed: plan.remove.length, full }, "job schedulers reconciled");
    // Change entries are trimmed only up to the previous full pass's version (≥ fullReconcileMs old): an owner
    // that lost the lease mid-pass must not drop entries the new owner has not applied yet.
    if (full && this.applied?.fullVersion !== undefined) await this.schedules.trimChanges(this.applied.fullVersion);
    this.applied = full ? { version, at: nowMs, fullVersion: version } : { ...this.applied!, version };
    await this.followCascades();
  }

  private remember(id: string, stored: StoredSchedule | undefined): void {
    if (stored !== undefined && stored.schedule.spec.cascade && stored.schedule.spec.target.image !== undefined) this.cascading.set(id, stored);
    else this.cascading.delete(id);
  }

  /** A cascade follows its build when the build finishes, not at the next firing (which may be a day away). */
  private async followCascades(): Promise<void> {
    for (const [id, stored] of this.cascading) {
      if (this.stopped !== undefined) return;
      if (!(await this.schedules.tryLock(id, this.token, this.options.lockMs ?? 60_000))) continue;
      try {
        await this.followUp(id, stored);
      } finally {
        await this.schedules.unlock(id, this.token);
      }
    }
  }

  private followUp(id: string, stored: StoredSchedule): Promise<void> {
    return followCascade({ ...this.cascadeDeps, runs: () => this.schedules.runs(id), updateRun: (run) => this.schedules.updateRun(id, run) }, stored);
  }

  /** One pass over every schedule. Never throws: a failing schedule is logged and tried next tick. */
  async tick(): Promise<void> {
    let all: StoredSchedule[];
    try {
      all = await this.schedules.list();
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, "listing schedules failed");
      return;
    }
    for (const stored of all) {
      if (this.stopped !== undefined) return;
      await this.tickOne(stored).catch((err: unknown) => this.logger.warn({ err: { message: (err as Error).message }, schedule: stored.schedule.metadata.name }, "schedule tick failed"));
    }
  }

  private async tickOne(stored: StoredSchedule): Promise<void> {
    const id = scheduleId(stored.tenant, stored.schedule.metadata.name);
    if (!(await this.schedules.tryLock(id, this.token, this.options.lockMs ?? 60_000))) return;
    try {
      // Read under the lock: another replica may have just moved the cursor.
      const state = await this.schedules.state(id);
      const now = this.now();
      const deps: FireDeps = { ...this.deps, runs: () => this.schedules.runs(id) };
      await this.followUp(id, stored);
      if (state.triggerAt !== undefined && state.triggerAt > (state.triggerHandledAt ?? 0)) {
        await this.schedules.recordRun(id, await fireSchedule(deps, stored, new Date(state.triggerAt), "manual"));
      }
      // Seen from `now - spread`, a firing comes due `spread` after its time: schedules due at :00 fan out.
      const seenAt = new Date(now.getTime() - spreadMs(id, this.options.spreadMs ?? this.options.config.worker.schedules.spreadMs));
      const due = dueFiring(stored.schedule.spec, new Date(state.handledAt ?? Date.parse(stored.createdAt)), seenAt);
      if (due.kind === "none") return;
      const run: ScheduleRun =
        due.kind === "missed"
          ? { fireAt: due.fireAt.toISOString(), trigger: "cron", outcome: "missed", reason: `more than startingDeadlineSeconds (${stored.schedule.spec.startingDeadlineSeconds}) late` }
          : await fireSchedule(deps, stored, due.fireAt, "cron");
      await this.schedules.recordRun(id, run);
    } finally {
      await this.schedules.unlock(id, this.token);
    }
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      await this.ticking?.catch(() => undefined);
      await this.worker?.close();
      this.workerConnection?.disconnect();
      await this.firings.close();
      await this.queues.close();
      this.redis.disconnect();
      this.logger.info("scheduler stopped");
    })();
    return this.stopped;
  }
}
