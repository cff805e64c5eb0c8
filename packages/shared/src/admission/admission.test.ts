import { describe, expect, it } from "vitest";
import { admissionOrder, decideNext, reservedSlots, type AdmissionState, type Lane, type WaitingBuild } from "./admission.js";

const lanes = (l: Partial<Record<Lane, number>> = {}): Record<Lane, number> => ({ interactive: 0, normal: 0, bulk: 0, ...l });

function state(overrides: Partial<AdmissionState> = {}): AdmissionState {
  return { now: 1_000_000, totalSlots: 10, reservedInteractive: 2, bulkAgingMs: 600_000, running: new Map(), tenants: new Map(), ...overrides };
}

const waiting = (tenant: string, lane: Lane, n: number, from = 0): WaitingBuild[] =>
  Array.from({ length: n }, (_, i) => ({ buildId: `${tenant}-${lane}-${String(i).padStart(5, "0")}`, tenant, lane, enqueuedAt: 999_000 + from + i }));

/** Fills free slots one decision at a time; running builds never finish. */
function fill(s: AdmissionState, queue: WaitingBuild[]): { admitted: WaitingBuild[]; running: Map<string, Record<Lane, number>> } {
  const running = new Map([...s.running].map(([t, r]) => [t, { ...r }]));
  let left = [...queue];
  const admitted: WaitingBuild[] = [];
  for (let i = 0; i < s.totalSlots + 1; i++) {
    const d = decideNext({ ...s, running }, left);
    if (!d.admit) break;
    const b = d.admit;
    admitted.push(b);
    left = left.filter((x) => x !== b);
    const r = running.get(b.tenant) ?? lanes();
    r[d.effectiveLane]++;
    running.set(b.tenant, r);
  }
  return { admitted, running };
}

describe("decideNext", () => {
  it("never lets the other lanes take the slots reserved for interactive", () => {
    const { admitted } = fill(state(), waiting("a", "bulk", 1_000));
    expect(admitted).toHaveLength(8);
    // The two reserved slots are still there for interactive builds.
    const next = decideNext(state({ running: new Map([["a", lanes({ bulk: 8 })]]) }), [...waiting("a", "bulk", 5), ...waiting("b", "interactive", 1)]);
    expect(next.admit?.tenant).toBe("b");
    expect(decideNext(state({ running: new Map([["a", lanes({ bulk: 8 })]]) }), waiting("a", "bulk", 5))).toEqual({ admit: undefined, why: "all-capped" });
  });

  it("gives another tenant's first build the next free slot however much one tenant queued", () => {
    const s = state({ reservedInteractive: 0, running: new Map([["a", lanes({ normal: 9 })]]) });
    const next = decideNext(s, [...waiting("a", "normal", 1_000), ...waiting("b", "normal", 1, 5_000)]);
    expect(next.admit?.tenant).toBe("b");
  });

  it("shares running slots by weight between tenants flooding one lane", () => {
    const s = state({ totalSlots: 30, reservedInteractive: 0, tenants: new Map([["a", { weight: 1 }], ["b", { weight: 2 }]]) });
    const { running } = fill(s, [...waiting("a", "bulk", 500), ...waiting("b", "bulk", 500)]);
    expect(running.get("a")?.bulk).toBe(10);
    expect(running.get("b")?.bulk).toBe(20);
  });

  it("moves a bulk build that waited past the aging bound up to normal", () => {
    const s = state();
    const old: WaitingBuild = { buildId: "old", tenant: "a", lane: "bulk", enqueuedAt: s.now - 700_000 };
    const fresh = waiting("b", "normal", 1, 500);
    expect(decideNext(s, [...fresh, old])).toMatchObject({ admit: { buildId: "old" }, effectiveLane: "normal" });
    expect(decideNext(s, [...fresh, { ...old, enqueuedAt: s.now - 1_000 }]).admit?.tenant).toBe("b");
  });

  it("never exceeds a tenant's maxRunning, at any step of a fill", () => {
    const s = state({ totalSlots: 20, reservedInteractive: 0, tenants: new Map([["a", { maxRunning: 3 }]]) });
    const { admitted, running } = fill(s, [...waiting("a", "interactive", 50), ...waiting("b", "bulk", 50)]);
    expect(admitted.filter((b) => b.tenant === "a")).toHaveLength(3);
    expect(running.get("b")?.bulk).toBe(17);
  });

  it("says why nothing is admitted", () => {
    expect(decideNext(state({ running: new Map([["a", lanes({ interactive: 10 })]]) }), waiting("b", "interactive", 1))).toEqual({ admit: undefined, why: "no-free-slot" });
    expect(decideNext(state(), [])).toEqual({ admit: undefined, why: "nothing-waiting" });
  });
});

describe("admissionOrder", () => {
  it("orders by lane, then alternates tenants by weighted running count, then age", () => {
    const order = admissionOrder(state(), [...waiting("a", "bulk", 3), ...waiting("b", "bulk", 1), ...waiting("c", "interactive", 1)], 5);
    expect(order.map((b) => b.tenant)).toEqual(["c", "a", "b", "a", "a"]);
  });
});

describe("reservedSlots", () => {
  it("reads a count or a percentage of the fleet", () => {
    expect(reservedSlots("20%", 50)).toBe(10);
    expect(reservedSlots("7", 50)).toBe(7);
    expect(reservedSlots("500%", 50)).toBe(50);
    expect(() => reservedSlots("a lot", 50)).toThrow(/percentage/);
  });
});
