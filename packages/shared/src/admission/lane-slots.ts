import type { Redis } from "ioredis";
import { z } from "zod";
import type { Keyspace } from "../redis/keyspace.js";
import { reservedSlots } from "./admission.js";

/**
 * The interactive reservation across the fleet (LANE_RESERVED_INTERACTIVE is
 * "a share of the fleet's running slots", not of each worker's). Every
 * non-interactive build that takes a slot anywhere holds a lease in one
 * sorted set (build id scored by lease expiry, renewed by its worker); an
 * atomic acquire admits it only while fewer than `fleet slots − reserved` of
 * them run. Interactive builds need no lease: they may take any slot.
 *
 * Why not per worker: with per-worker rounding, 20 % of 3 slots is 0 on every
 * worker (nothing reserved on a fleet of five such workers, where the fleet
 * figure is 3), and a count such as "2" would be multiplied by the number of
 * workers. A worker that dies frees its builds' leases when they expire.
 */

const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
`;

/** The fleet's running slots as the workers last saw them (the API reads it for ETAs). */
export const FleetSlots = z.object({
  /** Running slots of every live worker. */
  slots: z.number().int().min(0),
  /** Of those, the slots only interactive builds may take. */
  reserved: z.number().int().min(0),
});
export type FleetSlots = z.infer<typeof FleetSlots>;

/** Slots the non-interactive lanes may hold together on a fleet of `fleetSlots` (pure). */
export function sharedSlotLimit(fleetSlots: number, reservedSpec: string): FleetSlots & { shared: number } {
  const slots = Math.max(0, Math.floor(fleetSlots));
  const reserved = reservedSlots(reservedSpec, slots);
  return { slots, reserved, shared: slots - reserved };
}

export class LaneSlotStore {
  constructor(
    private readonly redis: Redis,
    private readonly ks: Keyspace,
  ) {}

  // `lanes:running:<tenant>` belongs to tenant caps; these names cannot collide with it.
  private get sharedKey(): string {
    return `${this.ks.bullPrefix}:lanes:shared-running`;
  }

  private get fleetKey(): string {
    return `${this.ks.bullPrefix}:lanes:fleet-slots`;
  }

  /** Takes one of the `limit` fleet-wide slots of the non-interactive lanes for the build; false when all are taken. */
  async acquire(buildId: string, limit: number, leaseMs: number, now = Date.now()): Promise<boolean> {
    const ok = await this.redis.eval(ACQUIRE, 1, this.sharedKey, buildId, now, now + leaseMs, limit, leaseMs * 2);
    return Number(ok) === 1;
  }

  async renew(buildId: string, leaseMs: number, now = Date.now()): Promise<void> {
    await this.redis.zadd(this.sharedKey, "XX", now + leaseMs, buildId);
    await this.redis.pexpire(this.sharedKey, leaseMs * 2);
  }

  async release(buildId: string): Promise<void> {
    await this.redis.zrem(this.sharedKey, buildId);
  }

  /** Non-interactive builds running across the fleet now. */
  async sharedRunning(now = Date.now()): Promise<number> {
    return this.redis.zcount(this.sharedKey, now, "+inf");
  }

  /** Records the fleet's slots as this worker computed them; expires unless a worker refreshes it. */
  async publish(fleet: FleetSlots, ttlMs: number): Promise<void> {
    await this.redis.set(this.fleetKey, JSON.stringify(fleet), "PX", ttlMs);
  }

  async fleet(): Promise<FleetSlots | undefined> {
    const raw = await this.redis.get(this.fleetKey);
    if (raw === null) return undefined;
    try {
      const parsed = FleetSlots.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }
}
