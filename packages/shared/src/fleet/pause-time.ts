/**
 * Paused time is not queue time. The queue deadline of a build is
 * `submittedAt + queueSeconds`, extended by every moment the queue was paused
 * (or draining) since the build was submitted: a pause longer than
 * `queueSeconds` must not fail every waiting build with QueueTimeout the
 * moment the queue resumes. Pure: the intervals come from the pause ledger.
 */

export interface PauseInterval {
  /** Epoch ms the queue was paused. */
  start: number;
  /** Epoch ms it resumed; undefined while it is still paused. */
  end?: number;
}

/** Milliseconds within [fromMs, toMs] during which the queue was paused. Overlapping intervals count once. */
export function pausedMsBetween(intervals: readonly PauseInterval[], fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return 0;
  const clipped = intervals
    .map((i) => ({ start: Math.max(i.start, fromMs), end: Math.min(i.end ?? toMs, toMs) }))
    .filter((i) => i.end > i.start)
    .sort((a, b) => a.start - b.start);
  let total = 0;
  let coveredTo = fromMs;
  for (const i of clipped) {
    const start = Math.max(i.start, coveredTo);
    if (i.end > start) total += i.end - start;
    coveredTo = Math.max(coveredTo, i.end);
  }
  return total;
}

/**
 * The queue deadline (epoch ms) of a build submitted at `submittedMs`, as known
 * at `nowMs`. While the queue stays paused the deadline moves on with the clock.
 */
export function queueDeadline(submittedMs: number, queueSeconds: number, intervals: readonly PauseInterval[], nowMs: number): number {
  return submittedMs + queueSeconds * 1000 + pausedMsBetween(intervals, submittedMs, nowMs);
}
