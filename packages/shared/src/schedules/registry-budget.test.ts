import { describe, expect, it } from "vitest";
import { RegistryBudget, spreadMs } from "./registry-budget.js";

describe("RegistryBudget", () => {
  it("spaces checks of one host to the budget and leaves other hosts alone", async () => {
    const waits: [string, number][] = [];
    let host = "";
    const budget = new RegistryBudget({ perSecond: 4, now: () => 1_000, sleep: async (ms) => void waits.push([host, ms]) });
    for (const h of ["hub", "hub", "hub", "ghcr"]) {
      host = h;
      await budget.take(h);
    }
    expect(waits).toEqual([
      ["hub", 250],
      ["hub", 500],
    ]);
  });
});

describe("spreadMs", () => {
  it("is stable per key, bounded, and spreads different keys", () => {
    expect(spreadMs("team-a/mirror", 10_000)).toBe(spreadMs("team-a/mirror", 10_000));
    const values = new Set(Array.from({ length: 100 }, (_, i) => spreadMs(`s${i}`, 10_000)));
    expect(Math.max(...values)).toBeLessThan(10_000);
    expect(values.size).toBeGreaterThan(90);
    expect(spreadMs("x", 0)).toBe(0);
  });
});
