import { describe, expect, it } from "vitest";
import { SlotGate } from "./slot-gate.js";

const b = (id: string, lane: "interactive" | "normal" | "bulk", tenant = "a") => ({ buildId: id, tenant, lane, enqueuedAt: 0 });

describe("SlotGate", () => {
  it("never takes more builds than the worker's capacity, and frees a slot on release", () => {
    const gate = new SlotGate(3);
    const taken = Array.from({ length: 5 }, (_, i) => gate.admit(b(`bulk-${i}`, "bulk")));
    expect(taken.filter(Boolean)).toHaveLength(3);
    expect(gate.admit(b("i1", "interactive"))).toBe(false);
    expect(gate.byLane()).toEqual({ interactive: 0, normal: 0, bulk: 3 });
    gate.release("bulk-0");
    expect(gate.admit(b("i1", "interactive"))).toBe(true);
    expect(gate.byLane()).toEqual({ interactive: 1, normal: 0, bulk: 2 });
  });

  it("is idempotent per build", () => {
    const gate = new SlotGate(2);
    expect(gate.admit(b("i1", "interactive"))).toBe(true);
    expect(gate.admit(b("i1", "interactive"))).toBe(true);
    expect(gate.admit(b("i2", "interactive"))).toBe(true);
    expect(gate.admit(b("i3", "interactive"))).toBe(false);
  });

  it("never exceeds a tenant's maxRunning on this worker", () => {
    const gate = new SlotGate(10);
    const caps = new Map([["a", { maxRunning: 2 }]]);
    expect([1, 2, 3].map((i) => gate.admit(b(`a${i}`, "normal"), caps))).toEqual([true, true, false]);
    expect(gate.admit(b("b1", "normal", "b"), caps)).toBe(true);
  });
});
