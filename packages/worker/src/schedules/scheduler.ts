import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import {
  BuildQueues,
  BuildStore,
  CatalogStore,
  ScheduleStore,
  createWorkerConnection,
  dueFiring,
  fireSchedule,
  headManifestDigest,
  RegistryBudget,
  spreadMs,
  keyspace,
  requestCancel,
  scheduleId,
  submitBuild,
  waitForReady,
  type FireDeps,
  type HeadOptions,
  type Logger,
  type Redis,
  type ScheduleRun,
  type StoredSchedule,
  type WorkerConfig,
} from "@buildfleet/shared";

/**
 * Fires schedules (issue 14). Runs in the worker process beside the rebuild
 * coordinator, on every replica: each tick walks the schedules, takes a
 * short per-schedule lock, and fires what `dueFiring` says is due from the
 * stored cursor. Safe with any number of replicas and across restarts:
 *
 * - the lock keeps two replicas from firing one schedule at once;
 * - the run and the cursor are written together, after the submit, so a
 *   replica killed in between fires the same scheduled time again, and the
 *   submit's idempotency key (schedule + fire time) returns the same build;
 * - only the latest missed time fires (one catch-up after downtime), within
 *   startingDeadlineSeconds.
 *
 * Time comes from `now` so tests move the clock instead of sleeping.
 */

export interface SchedulerOptions {
  config: WorkerConfig;
  logger: Logger;
  now?: () => Date;
  tickMs?: number;
  /** How long one replica may hold a schedule while firing it. */
  lockMs?: number;
  /** Registry HEAD options (plain-http hosts, timeouts, a registry alias → URL map in tests). */
  registry?: HeadOptions & { hostAliases?: Record<string, string> };
  /** HEAD checks per second per registry host (default 10). */
  headsPerSecond?: number;
  /** Each schedule fires up to this long after its time, by a stable per-name offset (default 5 s; 0 in tests). */
  spreadMs?: number;
}

export class Scheduler {
  private readonly logger: Logger;
  private readonly redis: Redis;
  private readonly queues: BuildQueues;
  readonly schedules: ScheduleStore;
  private readonly deps: Omit<FireDeps, "runs">;
  private readonly now: () => Date;
  private readonly token = `${hostname()}-${process.pid}-${randomUUID()}`;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: SchedulerOptions) {
    const { config } = options;
    const ks = keyspace(config.redis.prefix);
    this.now = options.now ?? (() => new Date());
    this.logger = options.logger.child({ component: "scheduler" });
    this.redis = createWorkerConnection(config.redis.url, { connectionName: "buildfleet-scheduler" });
    this.redis.on("error", (err: Error) => this.logger.warn({ err: { message: err.message } }, "redis connection error"));
    this.queues = new BuildQueues({ connection: this.redis, keyspace: ks });
    this.schedules = new ScheduleStore(this.redis, config.redis.prefix, this.now);
    const store = new BuildStore({ redis: this.redis, keyspace: ks, source: `/buildfleet/scheduler/${hostname()}` });
    const catalog = new CatalogStore(this.redis, ks);
    const { hostAliases = {}, ...head } = options.registry ?? {};
    const budget = new RegistryBudget({ perSecond: options.headsPerSecond ?? 10 });
    this.deps = {
      getBuild: (id) => store.get(id),
      submit: async (tenant, request, idempotencyKey) => {
        // Real time, not the schedule clock: the queue deadline is measured from submittedAt.
        const res = await submitBuild({ store, queue: this.queues }, { tenant, request, idempotencyKey });
        return { buildId: res.created ? res.record.id : res.buildId };
      },
      cancel: async (id) => {
        await requestCancel({ store, queue: this.queues, redis: this.redis, keyspace: ks }, id, "scheduler", {});
      },
      resolveDigest: async (ref) => {
        const registry = hostAliases[ref.registry] ?? ref.registry;
        await budget.take(registry);
        return headManifestDigest({ ...ref, registry }, head);
      },
      imageBuild: async (tenant, name) => (await catalog.get(tenant, name))?.image.spec.build,
      tagPolicy: config.builds.tagPolicy,
      logger: this.logger,
    };
  }

  async start(): Promise<void> {
    if (this.timer !== undefined || this.stopped !== undefined) return;
    await waitForReady(this.redis, 15_000);
    this.timer = setInterval(() => {
      this.ticking ??= this.tick().finally(() => (this.ticking = undefined));
    }, this.options.tickMs ?? 1_000);
    this.timer.unref();
    this.logger.info("scheduler started");
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
      if (state.triggerAt !== undefined && state.triggerAt > (state.triggerHandledAt ?? 0)) {
        await this.schedules.recordRun(id, await fireSchedule(deps, stored, new Date(state.triggerAt), "manual"));
      }
      // Seen from `now - spread`, a firing comes due `spread` after its time: schedules due at :00 fan out.
      const seenAt = new Date(now.getTime() - spreadMs(id, this.options.spreadMs ?? 5_000));
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
      await this.queues.close();
      this.redis.disconnect();
      this.logger.info("scheduler stopped");
    })();
    return this.stopped;
  }
}
