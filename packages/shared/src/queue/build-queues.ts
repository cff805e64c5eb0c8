import { Queue, type Job, type JobsOptions, type QueueOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { QueuedBuild } from "../contract/index.js";
import type { Keyspace } from "../redis/keyspace.js";
import { BUILD_JOB_NAME, buildJobOptions } from "./build-queue.js";
import { queuePosition } from "./queue-position.js";

/**
 * The queue port: every producer-side queue operation of the API, cancel,
 * queue position and the worker goes through here instead of a BullMQ `Queue`
 * built on the spot. Builds live in lanes (a lane name → one BullMQ queue);
 * today there is one, DEFAULT_LANE, whose queue is the one buildfleet always
 * used (`keyspace.buildQueue`), so nothing moves in Redis. The request lanes
 * (interactive, normal, bulk) are priority bands of that one queue
 * (admission/lane-priority.ts), with fair share between tenants inside a band
 * (admission/fair-share.ts) and reserved interactive slots in the worker, so
 * pause, drain, counts, cancel and queue position span every lane as they are.
 *
 * This is the only module that constructs a BullMQ `Queue` (a source-scan
 * test, no-raw-queue.test.ts, fails otherwise). Callers see builds, ids,
 * counts and flags, never a `Queue` or a `Job`. Where BullMQ has no call for
 * what buildfleet needs (a rank, per-tenant counts in one pass, a band of
 * priorities), the read goes to BullMQ's Redis layout directly; the port
 * hands out those keys (`redisKey`) so that the layout is known here, and the
 * scripts that read it (queue-position.ts, the API's tenant counts and depth
 * gauge, the drain's handed-back check, bulk aging) stay read-only.
 */

export const DEFAULT_LANE = "default";

export const JOB_COUNT_STATES = ["waiting", "active", "delayed", "prioritized", "completed", "failed"] as const;
export type JobCounts = Record<(typeof JOB_COUNT_STATES)[number], number>;

/** BullMQ states a caller may list ids of (`wait` = ready; every build has a priority, so it is mostly in `prioritized`). */
export type JobState = "wait" | "prioritized" | "delayed" | "active" | "completed" | "failed";

/** What a caller may know of a build's queue entry. */
export interface QueuedJob {
  buildId: string;
  lane: string;
  /** When it was added (ms epoch). */
  enqueuedAt: number;
  /** BullMQ priority (lane band and fair-share tag: admission/lane-priority.ts). */
  priority: number;
}

export interface BuildQueuesOptions {
  /** A producer or worker connection; the port does not own it (close() leaves it open). */
  connection: Redis;
  keyspace: Keyspace;
  /** BullMQ telemetry (bullmq-otel) for every lane's queue, when tracing is on. */
  telemetry?: QueueOptions["telemetry"];
}

export class BuildQueues {
  private readonly queues = new Map<string, Queue>();
  private readonly errorListeners: ((err: Error) => void)[] = [];

  constructor(private readonly options: BuildQueuesOptions) {}

  /** The lanes there are. One today. */
  lanes(): readonly string[] {
    return [DEFAULT_LANE];
  }

  /** The lane a build runs in. One today; fair share over tenants plugs in here. */
  laneOf(_build: QueuedBuild): string {
    return DEFAULT_LANE;
  }

  /** The BullMQ queue name of a lane (what a worker's `Worker` consumes). */
  queueName(lane: string = DEFAULT_LANE): string {
    if (lane !== DEFAULT_LANE) throw new Error(`unknown lane ${JSON.stringify(lane)}`);
    return this.options.keyspace.buildQueue;
  }

  /**
   * BullMQ's Redis key of one of a lane's structures (`wait`, `prioritized`,
   * `active`, `delayed`, …; `""` is the prefix of its job hashes), for the
   * read-only scans BullMQ has no call for. Same as `Queue.toKey`, without a queue.
   */
  redisKey(type: string, lane: string = DEFAULT_LANE): string {
    return `${this.options.keyspace.bullPrefix}:${this.queueName(lane)}:${type}`;
  }

  /**
   * Listens to the errors of every lane's queue (a connection error would
   * otherwise be an unhandled 'error' event). Lanes opened later get it too.
   */
  onError(listener: (err: Error) => void): void {
    this.errorListeners.push(listener);
    for (const queue of this.queues.values()) queue.on("error", listener);
  }

  /** The lane's BullMQ queue, created once and reused. Never handed out. */
  private lane(lane: string = DEFAULT_LANE): Queue {
    let queue = this.queues.get(lane);
    if (!queue) {
      queue = new Queue(this.queueName(lane), {
        connection: this.options.connection,
        prefix: this.options.keyspace.bullPrefix,
        ...(this.options.telemetry !== undefined ? { telemetry: this.options.telemetry } : {}),
      });
      for (const listener of this.errorListeners) queue.on("error", listener);
      this.queues.set(lane, queue);
    }
    return queue;
  }

  /**
   * Queue-shaped add, so the port can stand where a BullMQ `Queue` was
   * (SubmitDeps.queue): the build goes to its lane.
   */
  add(name: string, data: QueuedBuild, opts?: JobsOptions): Promise<Job> {
    return this.lane(this.laneOf(data)).add(name, data, opts);
  }

  /** Enqueues a build under its id with the standard options. */
  addBuild(build: QueuedBuild): Promise<Job> {
    return this.add(BUILD_JOB_NAME, build, buildJobOptions(build));
  }

  /** Queue-shaped bulk add (submit-many.ts): each entry goes to its build's lane, one round trip per lane. */
  async addBulk(jobs: readonly { name: string; data: QueuedBuild; opts?: JobsOptions }[]): Promise<unknown> {
    const byLane = new Map<string, { name: string; data: QueuedBuild; opts?: JobsOptions }[]>();
    for (const j of jobs) {
      const lane = this.laneOf(j.data);
      const list = byLane.get(lane);
      if (list) list.push(j);
      else byLane.set(lane, [j]);
    }
    for (const [lane, list] of byLane) await this.lane(lane).addBulk(list);
    return undefined;
  }

  /** Enqueues many builds under their ids with the standard options. */
  async addBuilds(builds: readonly QueuedBuild[]): Promise<void> {
    await this.addBulk(builds.map((b) => ({ name: BUILD_JOB_NAME, data: b, opts: buildJobOptions(b) })));
  }

  /** Removes a waiting build from whichever lane holds it (BullMQ: 0 only when a worker holds its lock). */
  async remove(buildId: string): Promise<number> {
    let removed = 0;
    for (const lane of this.lanes()) removed += await this.lane(lane).remove(buildId);
    return removed;
  }

  /**
   * 1-based position of a waiting build in its lane, undefined when not waiting.
   * Reads BullMQ's `:prioritized` sorted set directly (see queue-position.ts): BullMQ has no call for a rank.
   */
  position(buildId: string): Promise<number | undefined> {
    return queuePosition(this.options.connection, this.options.keyspace, buildId);
  }

  /** Ids of the entries in these states, over every lane (ids only: a request can be 1 MiB). */
  async jobIds(states: readonly JobState[]): Promise<string[]> {
    const ids: string[] = [];
    for (const lane of this.lanes()) ids.push(...(await this.lane(lane).getRanges([...states], 0, -1, true)));
    return ids;
  }

  /** A build's queue entry, whichever lane holds it; undefined when there is none (removed, or never added). */
  async job(buildId: string): Promise<QueuedJob | undefined> {
    for (const lane of this.lanes()) {
      const job = await this.lane(lane).getJob(buildId);
      if (job?.id !== undefined) return { buildId: job.id, lane, enqueuedAt: job.timestamp, priority: job.priority };
    }
    return undefined;
  }

  /**
   * Moves a waiting build to another priority in its lane. False when it is
   * not there any more (taken by a worker meanwhile, or gone): BullMQ refuses then.
   */
  async changePriority(buildId: string, priority: number): Promise<boolean> {
    for (const lane of this.lanes()) {
      const job = await this.lane(lane).getJob(buildId);
      if (!job) continue;
      try {
        await job.changePriority({ priority });
        return true;
      } catch {
        return false;
      }
    }
    return false;
  }

  /** Job counts summed over the lanes. */
  async counts(): Promise<JobCounts> {
    const total = Object.fromEntries(JOB_COUNT_STATES.map((s) => [s, 0])) as JobCounts;
    for (const lane of this.lanes()) {
      const counts = await this.lane(lane).getJobCounts(...JOB_COUNT_STATES);
      for (const s of JOB_COUNT_STATES) total[s] += counts[s] ?? 0;
    }
    return total;
  }

  /** Global pause: no worker takes a build from any lane; running builds go on. */
  async pause(): Promise<void> {
    for (const lane of this.lanes()) await this.lane(lane).pause();
  }

  async resume(): Promise<void> {
    for (const lane of this.lanes()) await this.lane(lane).resume();
  }

  async isPaused(): Promise<boolean> {
    for (const lane of this.lanes()) if (await this.lane(lane).isPaused()) return true;
    return false;
  }

  /** Fleet-wide cap on running builds (BullMQ persists it in Redis); undefined removes it. */
  async setGlobalConcurrency(limit: number | undefined): Promise<void> {
    for (const lane of this.lanes()) {
      if (limit === undefined) await this.lane(lane).removeGlobalConcurrency();
      else await this.lane(lane).setGlobalConcurrency(limit);
    }
  }

  /** The fleet-wide cap as stored in Redis (the default lane's), undefined when none. */
  async globalConcurrency(): Promise<number | undefined> {
    return (await this.lane(DEFAULT_LANE).getGlobalConcurrency()) ?? undefined;
  }

  /** Removes every entry of every lane, taken ones too (tests, benchmarks, an operator's explicit wipe). */
  async obliterate(): Promise<void> {
    for (const lane of this.lanes()) await this.lane(lane).obliterate({ force: true });
  }

  /** Closes the lanes' queues (not the connection). Idempotent. */
  async close(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((q) => q.close()));
  }
}
