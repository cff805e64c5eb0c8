/**
 * The queue-wait estimate of a waiting build, as a pure function: from its
 * queue position, the running slots its lane may use, how many of them are
 * taken, and the lane's recent build durations.
 *
 * Free slots take the first builds at once (0 s). Beyond them a build waits
 * for slots to free: with the running builds at random points of their runs,
 * a full lane of `slots` frees one slot every `median / slots` on average, so
 * the build at position p starts after about (p − free) × median / slots.
 * The median, not the mean, so that one hour-long build in the window does
 * not make every estimate an hour. An estimate, never a promise: a later
 * interactive build still goes ahead of a waiting bulk one.
 */

export interface WaitInput {
  /** 1-based place among waiting builds (queuePosition). */
  position: number;
  /** Running slots of the fleet the build's lane may take. */
  slots: number;
  /** How many of those are taken now. */
  running: number;
  /** Slot-holding times of the lane's most recent builds, in ms. */
  recentDurationsMs: readonly number[];
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Seconds until the build should start, or undefined when there is nothing to estimate from (no slots, no recent durations). */
export function estimateWaitSeconds(input: WaitInput): number | undefined {
  const { position, slots, running, recentDurationsMs } = input;
  if (!Number.isFinite(position) || position < 1 || slots <= 0) return undefined;
  const free = Math.max(0, slots - Math.max(0, running));
  if (position <= free) return 0;
  const m = median(recentDurationsMs);
  if (m === undefined) return undefined;
  return Math.ceil(((position - free) * m) / slots / 1000);
}
