import { PRIORITIES, type Priority } from "../contract/index.js";

/**
 * How a build's lane and fair-share tag become one BullMQ priority (lower runs
 * sooner; BullMQ allows 1 … 2^21-1). The range is cut into three bands, one
 * per lane in lane order, so every interactive build runs before every normal
 * one and every normal before every bulk; inside a band the tag orders the
 * tenants (see fair-share.ts), and equal priorities keep arrival order.
 */
export const LANE_BAND = Math.floor((2 ** 21 - 1) / PRIORITIES.length);
/** Highest tag a band holds; a tag beyond it is clamped (arrival order at the end of the band). */
export const MAX_TAG = LANE_BAND - 1;

export function lanePriority(lane: Priority, tag = 1): number {
  return PRIORITIES.indexOf(lane) * LANE_BAND + Math.min(MAX_TAG, Math.max(1, Math.floor(tag)));
}

/** The lane of a BullMQ priority written by lanePriority (undefined for anything else). */
export function laneOfPriority(priority: number): Priority | undefined {
  if (!Number.isInteger(priority) || priority < 1) return undefined;
  return PRIORITIES[Math.floor(priority / LANE_BAND)];
}

/** The tag part of a priority written by lanePriority. */
export function tagOfPriority(priority: number): number {
  return priority % LANE_BAND;
}

/** Inclusive BullMQ `:prioritized` score range of a lane's band (score = priority·2^32 + counter). */
export function bandScores(lane: Priority): [number, number] {
  const lo = PRIORITIES.indexOf(lane) * LANE_BAND;
  return [lo * 0x100000000, (lo + LANE_BAND) * 0x100000000 - 1];
}
