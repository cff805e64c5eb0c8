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

/**
 * Queue position and ETA of one build (the API's submit, retry and GET /v1/builds/:id answers).
 * The position comes from the queue port (the only reader of BullMQ's keys); the
 * slots, workers and recent durations are buildfleet's own keys.
 */
export async function queueEstimate(
  queues: Pick<BuildQueues, "position">,
  redis: Redis,
  ks: Keyspace,
  buildId: string,
  lane: Priority,
  now = Date.now(),
): Promise<QueueEstimate> {
  const position = await queues.position(buildId);
  if (position === undefined) return { queuePosition: undefined, etaSeconds: undefined };
  const slots = new LaneSlotStore(redis, ks);
  const [fleet, workers, sharedRunning, recent] = await Promise.all([
    slots.fleet(),
    createWorkerRegistry(redis, ks).list(now),
    slots.sharedRunning(now),
    new RecentDurations(redis, ks).recent(lane),
  ]);
  const load = laneLoad(lane, fleet, workers, sharedRunning);
  return { queuePosition: position, etaSeconds: estimateWaitSeconds({ position, ...load, recentDurationsMs: recent }) };
}
