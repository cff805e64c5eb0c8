import type { Redis } from "ioredis";
import type { Priority } from "../contract/index.js";
import type { Keyspace } from "../redis/keyspace.js";
import { LaneSlotStore, type FleetSlots } from "../admission/lane-slots.js";
import { createWorkerRegistry, type WorkerView } from "../fleet/workers.js";
import type { BuildQueues } from "../queue/build-queues.js";
import { estimateWaitSeconds } from "./estimate-wait.js";
import { RecentDurations } from "./recent-durations.js";

export interface QueueEstimate {
  /** 1-based place among waiting builds; undefined once a worker took it. */
  queuePosition: number | undefined;
  /** Estimated seconds until it starts; undefined when not waiting or nothing to estimate from. */
  etaSeconds: number | undefined;
}

/**
 * The slots a lane may take and how many are busy (pure): interactive builds
 * may take any of the fleet's slots; normal and bulk share what the
 * interactive reservation leaves. `fleet` is what the workers published; when
 * none did yet, the registry's capacities with nothing reserved.
 */
export function laneLoad(
  lane: Priority,
  fleet: FleetSlots | undefined,
  workers: readonly Pick<WorkerView, "capacity" | "inFlight" | "state">[],
  sharedRunning: number,
): { slots: number; running: number } {
  const live = workers.filter((w) => w.state !== "gone");
  const slots = fleet?.slots ?? live.reduce((n, w) => n + w.capacity, 0);
  if (lane === "interactive") return { slots, running: live.reduce((n, w) => n + w.inFlight, 0) };
  return { slots: slots - (fleet?.reserved ?? 0), running: sharedRunning };
}

/** What an estimate needs besides the build's position: fleet-wide, the same for every build of a lane. */
interface LaneSnapshot {
  load: { slots: number; running: number };
  recentDurationsMs: number[];
}

/**
 * Queue position and ETA of builds (the API's submit, retry and GET
 * /v1/builds/:id answers). The position comes from the queue port (the only
 * reader of BullMQ's keys) on every call; the fleet's slots, workers, busy
 * slots and the lane's recent durations are read at most once per
 * `snapshotMs` per lane and shared by the calls in between — they are the
 * same for every build of the lane, and an estimate a second old is as good
 * as a fresh one. `snapshotMs: 0` reads them on every call.
 */
export class QueueEstimator {
  private readonly snapshots = new Map<Priority, { at: number; value: Promise<LaneSnapshot> }>();

  constructor(
    private readonly queues: Pick<BuildQueues, "position">,
    private readonly redis: Redis,
    private readonly ks: Keyspace,
    private readonly options: { snapshotMs: number } = { snapshotMs: 1000 },
  ) {}

  async estimate(buildId: string, lane: Priority, now = Date.now()): Promise<QueueEstimate> {
    const position = await this.queues.position(buildId);
    if (position === undefined) return { queuePosition: undefined, etaSeconds: undefined };
    const { load, recentDurationsMs } = await this.snapshot(lane, now);
    return { queuePosition: position, etaSeconds: estimateWaitSeconds({ position, ...load, recentDurationsMs }) };
  }

  /** The lane's snapshot, read when the last one is `snapshotMs` old; calls meanwhile share one read. */
  private snapshot(lane: Priority, now: number): Promise<LaneSnapshot> {
    const cached = this.snapshots.get(lane);
    if (cached !== undefined && now >= cached.at && now - cached.at < this.options.snapshotMs) return cached.value;
    const value = this.read(lane, now);
    this.snapshots.set(lane, { at: now, value });
    // A failed read is not kept: the next call tries again.
    value.catch(() => this.snapshots.get(lane)?.value === value && this.snapshots.delete(lane));
    return value;
  }

  private async read(lane: Priority, now: number): Promise<LaneSnapshot> {
    const slots = new LaneSlotStore(this.redis, this.ks);
    const [fleet, workers, sharedRunning, recent] = await Promise.all([
      slots.fleet(),
      createWorkerRegistry(this.redis, this.ks).list(now),
      slots.sharedRunning(now),
      new RecentDurations(this.redis, this.ks).recent(lane),
    ]);
    return { load: laneLoad(lane, fleet, workers, sharedRunning), recentDurationsMs: recent };
  }
}

/** One estimate with nothing cached (a caller without a long-lived estimator). */
export function queueEstimate(
  queues: Pick<BuildQueues, "position">,
  redis: Redis,
  ks: Keyspace,
  buildId: string,
  lane: Priority,
  now = Date.now(),
): Promise<QueueEstimate> {
  return new QueueEstimator(queues, redis, ks, { snapshotMs: 0 }).estimate(buildId, lane, now);
}
