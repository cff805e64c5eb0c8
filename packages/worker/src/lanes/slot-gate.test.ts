import { describe, expect, it } from "vitest";
import { SlotGate } from "./slot-gate.js";

const b = (id: string, lane: "interactive" | "normal" | "bulk", tenant = "a") => ({ buildId: id, tenant, lane, enqueuedAt: 0 });

describe("SlotGate", () => {
  it("keeps the reserved slots for interactive builds however many bulk builds come", () => {
    const gate = new SlotGate(5, "40%");
    expect(gate.reserved).toBe(2);
    const taken = Array.from({ length: 10 }, (_, i) => gate.admit(b(`bulk-${i}`, "bulk")));
    expect(taken.filter(Boolean)).toHaveLength(3);
    expect(gate.admit(b("n", "normal"))).toBe(false);
    expect(gate.admit(b("i1", "interactive"))).toBe(true);
    expect(gate.admit(b("i2", "interactive"))).toBe(true);
    expect(gate.admit(b("i3", "interactive"))).toBe(false);
    expect(gate.byLane()).toEqual({ interactive: 2, normal: 0, bulk: 3 });
    gate.release("bulk-0");
    expect(gate.admit(b("n", "normal"))).toBe(true);
  });

  it("lets interactive builds use every slot and is idempotent per build", () => {
    const gate = new SlotGate(2, "1");
    expect(gate.admit(b("i1", "interactive"))).toBe(true);
    expect(gate.admit(b("i1", "interactive"))).toBe(true);
    expect(gate.admit(b("i2", "interactive"))).toBe(true);
    expect(gate.admit(b("i3", "interactive"))).toBe(false);
  });

  it("never exceeds a tenant's maxRunning on this worker", () => {
    const gate = new SlotGate(10, "0");
    const caps = new Map([["a", { maxRunning: 2 }]]);
    expect([1, 2, 3].map((i) => gate.admit(b(`a${i}`, "normal"), caps))).toEqual([true, true, false]);
    expect(gate.admit(b("b1", "normal", "b"), caps)).toBe(true);
  });
});
