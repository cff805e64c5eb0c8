import { describe, expect, it } from "vitest";
import { createWorkerConnection } from "../redis/connections.js";
import { useRedis } from "@buildfleet/testkit";
import { RegistryBudget, spreadMs } from "./registry-budget.js";

const redis = useRedis();

function budgets(n: number, perSecond: number, now: () => number, waits: [number, string, number][]) {
  const conn = redis.track(createWorkerConnection(redis.url));
  return Array.from({ length: n }, (_, i) => {
    let host = "";
    const b = new RegistryBudget({ redis: conn, prefix: redis.prefix, perSecond, now, sleep: async (ms) => void waits.push([i, host, ms]) });
    return { take: (h: string) => ((host = h), b.take(h)), hold: (h: string, ms: number) => b.hold(h, ms) };
  });
}

describe("RegistryBudget (Redis)", () => {
  it("spaces checks of one host to one budget across replicas and leaves other hosts alone", async () => {
    const waits: [number, string, number][] = [];
    const [a, b] = budgets(2, 4, () => 1_000, waits);
    await a!.take("hub");
    await b!.take("hub");
    await a!.take("hub");
    await b!.take("ghcr");
    expect(waits).toEqual([
      [1, "hub", 250],
      [0, "hub", 500],
    ]);
  });

  it("holds a host for every replica after the registry said it has nothing left", async () => {
    const waits: [number, string, number][] = [];
    const [a, b] = budgets(2, 1_000, () => 5_000, waits);
    await a!.hold("hub", 30_000);
    await b!.take("hub");
    await b!.take("ghcr");
    expect(waits).toEqual([[1, "hub", 30_000]]);
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
