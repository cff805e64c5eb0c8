import { hostname } from "node:os";
import {
  BuildQueues,
  BuildStore,
  CatalogStore,
  EventStream,
  WaveStore,
  applyBuildEvents,
  createWorkerConnection,
  keyspace,
  noteBaseBuilds,
  reconcileWave,
  startDueWaves,
  waitForReady,
  type WorkerConfig,
  type Logger,
  type Redis,
  type RunnerDeps,
  type StreamEntry,
} from "@buildfleet/shared";

/**
 * Advances rebuild waves from the durable build events stream.
 *
 * It runs in the worker process, not the API: it is a long-running consumer
 * like the worker's own loops, it must keep going with no HTTP traffic, and
 * API replicas scale with requests while coordinators need not. Any number of
 * worker replicas may run it: they share one consumer group, so each event
 * goes to one of them, and waves are written with compare-and-set, so two
 * replicas advancing one wave still enqueue each node once.
 *
 * Restart-safe: an event is acknowledged only after the wave step it caused
 * was written. A coordinator killed before that re-reads its pending entries
 * when it starts again; entries of a consumer that never comes back are
 * claimed by another after `claimIdleMs`. A periodic sweep reads the records
 * of in-flight wave builds, which covers events that arrived before the wave
 * write linked their build.
 *
 * It also starts automatic waves: a catalog image built outside a wave with a
 * new digest schedules one for its opted-in dependents (automatic.ts).
 */

export const REBUILD_GROUP = "rebuild-coordinator";

export interface CoordinatorOptions {
  config: WorkerConfig;
  logger: Logger;
  /** Consumer name in the group; stable per process so a restart reads its own pending entries. */
  consumer?: string;
  blockMs?: number;
  sweepIntervalMs?: number;
  /** Pending entries idle this long are taken over from another (dead) consumer. */
  claimIdleMs?: number;
}

export class RebuildCoordinator {
  private readonly logger: Logger;
  private readonly blocking: Redis;
  private readonly redis: Redis;
  private readonly queues: BuildQueues;
  private readonly stream: EventStream;
  private readonly deps: RunnerDeps;
  private readonly consumer: string;
  private readonly eventsKey: string;
  private loop: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: CoordinatorOptions) {
    const { config } = options;
    const ks = keyspace(config.redis.prefix);
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}`;
    this.logger = options.logger.child({ component: "rebuild-coordinator", consumer: this.consumer });
    // The blocking XREADGROUP gets its own connection: it would stall every other command on a shared one.
    this.blocking = createWorkerConnection(config.redis.url, { connectionName: "buildfleet-rebuilds-events" });
    // No auto-pipelining: a wave step's writes are already batched, and sent in parts so Redis runs one while
    // the next is encoded (submitLevel); holding each until the next tick would only delay them.
    this.redis = createWorkerConnection(config.redis.url, { connectionName: "buildfleet-rebuilds" });
    for (const conn of [this.blocking, this.redis]) {
      conn.on("error", (err: Error) => this.logger.warn({ err: { message: err.message } }, "redis connection error"));
    }
    this.queues = new BuildQueues({ connection: this.redis, keyspace: ks });
    this.stream = new EventStream(this.blocking, ks);
    this.eventsKey = ks.events;
    this.deps = {
      store: new BuildStore({ redis: this.redis, keyspace: ks, source: `/buildfleet/rebuilds/${hostname()}` }),
      queue: this.queues,
      redis: this.redis,
      ks,
      tagPolicy: config.builds.tagPolicy,
      catalog: new CatalogStore(this.redis, ks),
      waves: new WaveStore(this.redis, ks),
      logger: this.logger,
    };
  }

  async start(): Promise<void> {
    if (this.loop !== undefined) return;
    await waitForReady(this.redis, 15_000);
    await waitForReady(this.blocking, 15_000);
    // "$": history before the first start is not ours; waves started before it are caught up by the sweep.
    await this.stream.ensureGroup(REBUILD_GROUP, "$");
    // A stop while starting (SIGTERM right after launch) wins: no loop, no timer.
    if (this.stopping) return;
    this.loop = this.run();
    const every = this.options.sweepIntervalMs ?? 5_000;
    this.sweepTimer = setInterval(() => {
      this.sweeping ??= this.sweep().finally(() => (this.sweeping = undefined));
    }, every);
    this.sweepTimer.unref();
    this.logger.info("rebuild coordinator started");
  }

  private async run(): Promise<void> {
    let claimAt = 0;
    while (!this.stopping) {
      try {
        let entries: StreamEntry[] = [];
        if (Date.now() >= claimAt) {
          entries = await this.claimAbandoned();
          claimAt = Date.now() + (this.options.claimIdleMs ?? 60_000) / 2;
        }
        if (entries.length === 0) entries = await this.stream.readGroup(REBUILD_GROUP, this.consumer, { count: 100, blockMs: this.options.blockMs ?? 2_000 });
        if (this.stopping || entries.length === 0) continue;
        await applyBuildEvents(this.deps, entries);
        await noteBaseBuilds(this.deps, entries);
        // Only now: what was applied is written, so a crash before this line redelivers, and the replay changes nothing.
        await this.stream.ack(REBUILD_GROUP, entries.map((e) => e.id));
      } catch (err) {
        if (this.stopping) return;
        this.logger.warn({ err: { message: (err as Error).message } }, "applying build events failed; retrying");
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** Pending entries of consumers that stopped acknowledging (a crashed replica). */
  private async claimAbandoned(): Promise<StreamEntry[]> {
    const res = (await this.redis.xautoclaim(this.eventsKey, REBUILD_GROUP, this.consumer, this.options.claimIdleMs ?? 60_000, "0-0", "COUNT", 100)) as [string, [string, string[]][]];
    const claimed = res[1].filter((e): e is [string, string[]] => Array.isArray(e) && e[1] !== null);
    if (claimed.length === 0) return [];
    // Read them again through the stream reader (the same parsing).
    return (await this.stream.readGroup(REBUILD_GROUP, this.consumer, { count: 100, blockMs: 1 })).filter((e) => claimed.some(([id]) => id === e.id));
  }

  /** Catches every active wave up with its builds' records, and starts automatic waves whose settle window ended. */
  async sweep(): Promise<void> {
    try {
      await startDueWaves(this.deps);
      for (const id of await this.deps.waves.active()) {
        if (this.stopping) return;
        await reconcileWave(this.deps, id);
      }
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, "rebuild sweep failed");
    }
  }

  stop(): Promise<void> {
    this.stopped ??= this.doStop();
    return this.stopped;
  }

  private async doStop(): Promise<void> {
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    // Ends the blocking read now; an unacknowledged batch is redelivered to the next start.
    this.blocking.disconnect();
    await this.loop?.catch(() => undefined);
    await this.sweeping?.catch(() => undefined);
    await this.queues.close();
    this.redis.disconnect();
    this.logger.info("rebuild coordinator stopped");
  }
}
