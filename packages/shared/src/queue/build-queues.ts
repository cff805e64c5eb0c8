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
 */

export const DEFAULT_LANE = "default";

export const JOB_COUNT_STATES = ["waiting", "active", "delayed", "prioritized", "completed", "failed"] as const;
export type JobCounts = Record<(typeof JOB_COUNT_STATES)[number], number>;

export interface BuildQueuesOptions {
  /** A producer or worker connection; the port does not own it (close() leaves it open). */
  connection: Redis;
  keyspace: Keyspace;
  /** BullMQ telemetry (bullmq-otel) for every lane's queue, when tracing is on. */
  telemetry?: QueueOptions["telemetry"];
}

export class BuildQueues {
  private readonly queues = new Map<string, Queue>();

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

  /** The lane's BullMQ queue, created once and reused. */
  lane(lane: string = DEFAULT_LANE): Queue {
    let queue = this.queues.get(lane);
    if (!queue) {
      queue = new Queue(this.queueName(lane), {
        connection: this.options.connection,
        prefix: this.options.keyspace.bullPrefix,
        ...(this.options.telemetry !== undefined ? { telemetry: this.options.telemetry } : {}),
      });
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

  /** Enqueues many builds, one round trip per lane. */
  async addBulk(builds: readonly QueuedBuild[]): Promise<void> {
    const byLane = new Map<string, QueuedBuild[]>();
    for (const b of builds) byLane.set(this.laneOf(b), [...(byLane.get(this.laneOf(b)) ?? []), b]);
    for (const [lane, list] of byLane) {
      await this.lane(lane).addBulk(list.map((b) => ({ name: BUILD_JOB_NAME, data: b, opts: buildJobOptions(b) })));
    }
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

  /** Closes the lanes' queues (not the connection). Idempotent. */
  async close(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((q) => q.close()));
  }
}
