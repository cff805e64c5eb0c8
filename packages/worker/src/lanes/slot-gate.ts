import { decideNext, type Lane, type TenantPolicy } from "@buildfleet/shared";

/**
 * This worker's own running slots, by build: never more than its capacity,
 * with the lane of each build for readyz and tests. The interactive
 * reservation is not kept here but across the fleet (LaneSlotStore in
 * @buildfleet/shared): LANE_RESERVED_INTERACTIVE is a share of the fleet's
 * slots, and per-worker rounding would lose it (20 % of 3 slots is 0).
 *
 * Local and synchronous on purpose: `admit` and `release` run on the event
 * loop without an await between decision and bookkeeping, so concurrent
 * processors of one worker can never overbook it.
 */
export class SlotGate {
  private readonly running = new Map<string, { tenant: string; lane: Lane }>();

  constructor(private readonly capacity: number) {}

  /** Takes a slot for the build when this worker has one; false means: hand it back. */
  admit(build: { buildId: string; tenant: string; lane: Lane; enqueuedAt: number }, tenants: ReadonlyMap<string, TenantPolicy> = new Map()): boolean {
    if (this.running.has(build.buildId)) return true;
    const decision = decideNext(
      {
        now: Date.now(),
        totalSlots: this.capacity,
        reservedInteractive: 0,
        // Lane order is BullMQ's (priority); no aging is needed to count slots.
        bulkAgingMs: Number.POSITIVE_INFINITY,
        running: this.byTenant(),
        tenants,
      },
      [build],
    );
    if (!decision.admit) return false;
    this.running.set(build.buildId, { tenant: build.tenant, lane: build.lane });
    return true;
  }

  release(buildId: string): void {
    this.running.delete(buildId);
  }

  /** Running builds by lane (readyz, tests). */
  byLane(): Record<Lane, number> {
    const out: Record<Lane, number> = { interactive: 0, normal: 0, bulk: 0 };
    for (const r of this.running.values()) out[r.lane] += 1;
    return out;
  }

  private byTenant(): Map<string, Record<Lane, number>> {
    const out = new Map<string, Record<Lane, number>>();
    for (const r of this.running.values()) {
      const t = out.get(r.tenant) ?? { interactive: 0, normal: 0, bulk: 0 };
      t[r.lane] += 1;
      out.set(r.tenant, t);
    }
    return out;
  }
}
