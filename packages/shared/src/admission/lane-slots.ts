import type { Redis } from "ioredis";
import { z } from "zod";
import type { Keyspace } from "../redis/keyspace.js";
import { LeaseSet } from "./lease-set.js";
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
  private readonly leases: LeaseSet;

  constructor(
    private readonly redis: Redis,
    private readonly ks: Keyspace,
  ) {
    this.leases = new LeaseSet(redis);
  }

  // `lanes:running:<tenant>` belongs to tenant caps; these names cannot collide with it.
  private get sharedKey(): string {
    return `${this.ks.bullPrefix}:lanes:shared-running`;
  }

  private get fleetKey(): string {
    return `${this.ks.bullPrefix}:lanes:fleet-slots`;
  }

  /** Takes one of the `limit` fleet-wide slots of the non-interactive lanes for the build; false when all are taken. */
  acquire(buildId: string, limit: number, leaseMs: number, now = Date.now()): Promise<boolean> {
    return this.leases.acquire(this.sharedKey, buildId, limit, leaseMs, now);
  }

  renew(buildId: string, leaseMs: number, now = Date.now()): Promise<void> {
    return this.leases.renew(this.sharedKey, buildId, leaseMs, now);
  }

  release(buildId: string): Promise<void> {
    return this.leases.release(this.sharedKey, buildId);
  }

  /** Non-interactive builds running across the fleet now. */
  sharedRunning(now = Date.now()): Promise<number> {
    return this.leases.held(this.sharedKey, now);
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
