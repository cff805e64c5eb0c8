import type { Redis } from "ioredis";
import type { Keyspace } from "../redis/keyspace.js";

/**
 * 1-based position of a waiting build in the queue, or undefined when it is
 * not waiting (taken by a worker, delayed for a retry, finished). Every build
 * carries a non-zero BullMQ priority (see priorityValue), so waiting builds
 * live in BullMQ's one prioritized sorted set, ordered by priority then
 * arrival: the rank there is the number of builds that run before it.
 * This reads BullMQ's key layout (`<prefix>:<queue>:prioritized`).
 */
export async function queuePosition(redis: Redis, ks: Keyspace, buildId: string): Promise<number | undefined> {
  const rank = await redis.zrank(`${ks.bullPrefix}:${ks.buildQueue}:prioritized`, buildId);
  return rank === null ? undefined : rank + 1;
}
