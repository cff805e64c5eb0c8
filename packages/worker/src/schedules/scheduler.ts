import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import {
  BuildStore,
  CatalogStore,
  ScheduleStore,
  createWorkerConnection,
  credentialsFromSecretData,
  dueFiring,
  fireSchedule,
  followCascade,
  planRebuild,
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
  private readonly queue: Queue;
  readonly schedules: ScheduleStore;
  private readonly deps: Omit<FireDeps, "runs">;
  private readonly cascadeDeps: Omit<CascadeDeps, "runs" | "updateRun">;
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
    this.queue = new Queue(ks.buildQueue, { connection: this.redis, prefix: ks.bullPrefix });
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
        const res = await submitBuild({ store, queue: this.queue }, { tenant, request, idempotencyKey, ...(pinned?.sourceDigest !== undefined ? { sourceDigest: pinned.sourceDigest } : {}) });
        return { buildId: res.created ? res.record.id : res.buildId };
      },
      cancel: async (id) => {
        await requestCancel({ store, queue: this.queue, redis: this.redis, keyspace: ks }, id, "scheduler", {});
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
    const runner = { store, queue: this.queue, redis: this.redis, ks, tagPolicy: config.builds.tagPolicy, catalog, waves: new WaveStore(this.redis, ks), logger: this.logger };
    this.cascadeDeps = {
      getBuild: (id) => store.get(id),
      startWave: async (tenant, destinations, digest, reason) => {
        // The schedule's tenant scope (its allow-lists), triggered by the pushed reference: only the images
        // that build FROM it and what is below them, pinned to the new digest — never the image itself again.
        const scope = { kind: "tenant" as const, tenant };
        for (const base of destinations) {
          const { result } = await planRebuild(runner, scope, { base, digest });
          if (!result.ok || result.plan.nodes.length === 0) continue;
          return (await startRebuild(runner, { startedBy: `schedule:${tenant}`, scope, trigger: { base, digest }, reason })).id;
        }
        return undefined;
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
      await followCascade({ ...this.cascadeDeps, runs: () => this.schedules.runs(id), updateRun: (run) => this.schedules.updateRun(id, run) }, stored);
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
      await this.queue.close();
      this.redis.disconnect();
      this.logger.info("scheduler stopped");
    })();
    return this.stopped;
  }
}
