import { createHash } from "node:crypto";
import type { Redis } from "../redis/connections.js";

/**
 * Registry manners for many schedules due at once. HEAD checks per registry
 * host are spaced to ONE fleet-wide budget (requests per second) kept in
 * Redis, so two or twenty worker replicas together stay within it; a registry
 * that says it has no requests left (`ratelimit-remaining: 0`, or a 429) holds
 * the host for every replica until its reset. Each schedule's firings are also
 * offset by a stable per-name jitter, so 1,000 schedules at :00 do not reach
 * one registry in the same second.
 *
 *   <prefix>:registry-budget:<host>   string  ms of the host's next free slot
 */

export interface RegistryBudgetOptions {
  redis: Redis;
  prefix: string;
  /** HEAD requests per second per registry host, for the whole fleet. */
  perSecond: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Reserves the host's next slot atomically: max(now, next free), and moves
 * next free one gap on. The key outlives its slot by a minute, so an idle
 * host leaves nothing behind.
 */
const TAKE = `
local now = tonumber(ARGV[1])
local gap = tonumber(ARGV[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, free)
redis.call('SET', KEYS[1], tostring(slot + gap), 'PX', math.ceil(slot + gap - now) + 60000)
return tostring(slot)`;

/** Moves the host's next free slot to `until` unless it is already later. */
const HOLD = `
local now = tonumber(ARGV[1])
local untilMs = tonumber(ARGV[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > free then redis.call('SET', KEYS[1], tostring(untilMs), 'PX', math.ceil(untilMs - now) + 60000) end
return 1`;

export class RegistryBudget {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly gapMs: number;

  constructor(private readonly options: RegistryBudgetOptions) {
    if (!(options.perSecond > 0)) throw new RangeError(`perSecond must be > 0, got ${options.perSecond}`);
    this.gapMs = 1000 / options.perSecond;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  }

  private key(host: string): string {
    return `${this.options.prefix}:registry-budget:${host}`;
  }

  /** Waits for this host's next slot, reserved at once in Redis so callers across the fleet queue up in order. Returns the wait. */
  async take(host: string): Promise<number> {
    const now = this.now();
    const slot = Number(await this.options.redis.eval(TAKE, 1, this.key(host), String(now), String(this.gapMs)));
    const wait = Math.max(0, slot - now);
    if (wait > 0) await this.sleep(wait);
    return wait;
  }

  /** The registry said it has nothing left: no replica checks this host again for `ms`. */
  async hold(host: string, ms: number): Promise<void> {
    const now = this.now();
    await this.options.redis.eval(HOLD, 1, this.key(host), String(now), String(now + ms));
  }
}

/** A stable offset in [0, maxMs) for one schedule: the same on every replica, different across names. */
export function spreadMs(key: string, maxMs: number): number {
  if (maxMs <= 0) return 0;
  return createHash("sha256").update(key).digest().readUInt32BE(0) % maxMs;
}
