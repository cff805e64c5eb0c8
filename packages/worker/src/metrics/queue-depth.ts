import { bandScores, type BuildQueues } from "@buildfleet/shared";
import { PRIORITIES, type Priority } from "@buildfleet/contract";

/**
 * The build queue's depth as Prometheus sees it, read from Redis when scraped.
 * Several Prometheus replicas (or a short scrape interval) must not multiply the
 * Redis load: one read is shared by every scrape within `cacheMs`, and a failed
 * read is not cached (the next scrape tries again).
 */
export const QUEUE_DEPTH_STATES = ["waiting", "active", "delayed"] as const;
export type QueueDepthState = (typeof QUEUE_DEPTH_STATES)[number];

export interface QueueDepth {
  /** waiting = ready to run (BullMQ's wait and prioritized: every build has a priority). */
  jobs: Record<QueueDepthState, number>;
  /** Waiting builds per lane (priority). */
  waitingByLane: Record<Priority, number>;
  paused: boolean;
}

export type QueueReader = Pick<BuildQueues, "counts" | "isPaused">;

/** Counts BullMQ `:prioritized` entries with a score in [lo, hi] (a lane's band: see lanePriority). */
export type BandCounter = (lo: number, hi: number) => Promise<number>;

export async function readQueueDepth(queue: QueueReader, countBand: BandCounter): Promise<QueueDepth> {
  const [counts, byLane, paused] = await Promise.all([
    queue.counts(),
    Promise.all(PRIORITIES.map((lane) => countBand(...bandScores(lane)))),
    queue.isPaused(),
  ]);
  const n = (v: number | undefined): number => v ?? 0;
  return {
    jobs: { waiting: counts.waiting + counts.prioritized, active: counts.active, delayed: counts.delayed },
    waitingByLane: Object.fromEntries(PRIORITIES.map((lane, i) => [lane, n(byLane[i])])) as Record<Priority, number>,
    paused,
  };
}

export function cachedReader<T>(read: () => Promise<T>, cacheMs: number, now: () => number = Date.now): () => Promise<T> {
  let cached: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (cached === undefined || now() - cached.at >= cacheMs) {
      const value = read();
      const entry = { at: now(), value };
      cached = entry;
      value.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.value;
  };
}
