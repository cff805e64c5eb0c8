import type { Redis } from "ioredis";
import type { Keyspace } from "../redis/keyspace.js";
import { fleetKeys } from "./fleet-keys.js";
import { pausedMsBetween, type PauseInterval } from "./pause-time.js";

/**
 * When the queue was paused, kept in Redis so that every worker computes the
 * same queue deadlines and a restart loses nothing. Opening and closing a
 * pause are single Lua scripts: a closed interval is never lost between two
 * commands, and repeating either is harmless.
 */

/** Closed intervals older than this are dropped: longer than any queue timeout (1 day) plus pauses. */
export const PAUSE_HISTORY_MS = 8 * 24 * 3600 * 1000;

const OPEN = `return redis.call('SET', KEYS[1], ARGV[1], 'NX') and 1 or 0`;
const CLOSE = `
local since = redis.call('GET', KEYS[1])
if not since then return 0 end
redis.call('ZADD', KEYS[2], ARGV[1], since .. ':' .. ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2])
return 1
`;

export interface PauseLedger {
  /** Marks the queue paused from `nowMs` (kept if already paused). True when this call opened the pause. */
  open(nowMs: number): Promise<boolean>;
  /** Closes the open pause at `nowMs`. True when there was one. */
  close(nowMs: number): Promise<boolean>;
  /** The open pause's start, if any. */
  pausedSince(): Promise<number | undefined>;
  intervals(): Promise<PauseInterval[]>;
  /** Paused milliseconds within [fromMs, toMs]. */
  pausedMs(fromMs: number, toMs: number): Promise<number>;
}

export function createPauseLedger(redis: Redis, ks: Keyspace): PauseLedger {
  const keys = fleetKeys(ks);
  const ledger: PauseLedger = {
    async open(nowMs) {
      return (await redis.eval(OPEN, 1, keys.pausedSince, String(nowMs))) === 1;
    },
    async close(nowMs) {
      return (await redis.eval(CLOSE, 2, keys.pausedSince, keys.pauses, String(nowMs), String(nowMs - PAUSE_HISTORY_MS))) === 1;
    },
    async pausedSince() {
      const v = await redis.get(keys.pausedSince);
      return v === null ? undefined : Number(v);
    },
    async intervals() {
      const [since, closed] = await Promise.all([redis.get(keys.pausedSince), redis.zrange(keys.pauses, "0", "-1")]);
      const out: PauseInterval[] = closed.flatMap((m) => {
        const [start, end] = m.split(":").map(Number);
        return start !== undefined && end !== undefined && Number.isFinite(start) && Number.isFinite(end) ? [{ start, end }] : [];
      });
      if (since !== null && Number.isFinite(Number(since))) out.push({ start: Number(since) });
      return out;
    },
    async pausedMs(fromMs, toMs) {
      return pausedMsBetween(await ledger.intervals(), fromMs, toMs);
    },
  };
  return ledger;
}
