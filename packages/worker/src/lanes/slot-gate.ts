import { decideNext, reservedSlots, type Lane, type TenantPolicy } from "@buildfleet/shared";

/**
 * The worker's side of lanes: which of the queue entries BullMQ hands this
 * worker may take one of its running slots. BullMQ already orders the one
 * build queue by lane (interactive, normal, bulk: priorityValue) and, within
 * a lane, by the fair-share tag given at submit; what it cannot do is keep
 * slots free for a lane. The gate does, with the pure admission decision:
 * `reserved` of this worker's `capacity` slots are only ever taken by
 * interactive builds, so the fleet keeps the sum of its workers' reserved
 * slots for interactive builds however many bulk builds wait.
 *
 * Local and synchronous on purpose: `admit` and `release` run on the event
 * loop without an await between decision and bookkeeping, so concurrent
 * processors of one worker can never overbook it.
 */
export class SlotGate {
  private readonly running = new Map<string, { tenant: string; lane: Lane }>();
  readonly reserved: number;

  constructor(
    private readonly capacity: number,
    reservedSpec: string,
  ) {
    this.reserved = reservedSlots(reservedSpec, capacity);
  }

  /** Takes a slot for the build when its lane may have one; false means: hand it back. */
  admit(build: { buildId: string; tenant: string; lane: Lane; enqueuedAt: number }, tenants: ReadonlyMap<string, TenantPolicy> = new Map()): boolean {
    if (this.running.has(build.buildId)) return true;
    const decision = decideNext(
      {
        now: Date.now(),
        totalSlots: this.capacity,
        reservedInteractive: this.reserved,
        // Lane order between normal and bulk is BullMQ's (priority); no aging is needed for a reservation.
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
