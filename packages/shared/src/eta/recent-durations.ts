import type { Redis } from "ioredis";
import type { Priority } from "../contract/index.js";
import type { Keyspace } from "../redis/keyspace.js";

/** Builds per lane the ETA looks back on: enough for a stable median, few enough to follow a change within minutes. */
export const DURATION_WINDOW = 50;

/**
 * The lane's most recent slot-holding times (admission to end of the run),
 * written by the worker when a build finishes: a capped Redis list per lane,
 * newest first, shared by the fleet. Best effort by design: a lost sample
 * only makes the next estimate a little older.
 */
export class RecentDurations {
  constructor(
    private readonly redis: Redis,
    private readonly ks: Keyspace,
    private readonly size = DURATION_WINDOW,
  ) {}

  private key(lane: Priority): string {
    return `${this.ks.bullPrefix}:lanes:durations:${lane}`;
  }

  async record(lane: Priority, durationMs: number): Promise<void> {
    if (!Number.isFinite(durationMs) || durationMs < 0) return;
    await this.redis.multi().lpush(this.key(lane), String(Math.round(durationMs))).ltrim(this.key(lane), 0, this.size - 1).exec();
  }

  /** Newest first; values that are not durations are skipped. */
  async recent(lane: Priority): Promise<number[]> {
    const raw = await this.redis.lrange(this.key(lane), 0, this.size - 1);
    return raw.map(Number).filter((n) => Number.isFinite(n) && n >= 0);
  }
}
