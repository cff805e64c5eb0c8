import { bandScores, lanePriority, laneOfPriority, type BuildQueues, type Logger, type Redis } from "@buildfleet/shared";

/** Bulk builds looked at per sweep (the head of the bulk band): bounded work per tick. */
export const AGING_SWEEP_MAX = 200;
/** Tag 0 of the normal band: ahead of every fair-share tag there. */
export const AGED_PRIORITY = lanePriority("normal", 1) - 1;

/**
 * No starvation of the bulk lane: a bulk build that has waited longer than
 * `agingMs` moves into the normal lane's band (its request keeps saying bulk).
 * It goes in at tag 0 of the normal band, below every fair-share tag (≥ 1),
 * so aged builds are taken first among normal ones, oldest first. Several workers
 * sweeping at once is harmless: a moved build is no longer in the bulk band.
 */
export async function ageBulkBuilds(
  redis: Redis,
  queues: Pick<BuildQueues, "redisKey" | "job" | "changePriority">,
  agingMs: number,
  logger: Logger,
  now = Date.now(),
): Promise<number> {
  const [lo, hi] = bandScores("bulk");
  // The bulk band of BullMQ's `:prioritized` set (key from the port): BullMQ lists no range of priorities.
  const ids = await redis.zrangebyscore(queues.redisKey("prioritized"), lo, hi, "LIMIT", 0, AGING_SWEEP_MAX);
  let moved = 0;
  for (const id of ids) {
    const job = await queues.job(id);
    if (!job || now - job.enqueuedAt <= agingMs || laneOfPriority(job.priority) !== "bulk") continue;
    if (await queues.changePriority(id, AGED_PRIORITY)) moved += 1;
    // Else taken by a worker meanwhile: nothing to move.
    else logger.debug({ buildId: id }, "bulk build not aged");
  }
  if (moved > 0) logger.info({ moved, agingMs }, "bulk builds waited past the aging bound and moved up to normal");
  return moved;
}
