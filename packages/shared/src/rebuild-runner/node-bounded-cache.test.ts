import { describe, expect, it } from "vitest";
import { NodeBoundedCache } from "./node-bounded-cache.js";

describe("NodeBoundedCache", () => {
  // Values are their own node counts.
  const cache = (max: number, evicted: string[] = []) => new NodeBoundedCache<number>(max, (n) => n, (id) => evicted.push(id));

  it("keeps at most maxNodes nodes in all, evicting the least recently used first", () => {
    const evicted: string[] = [];
    const c = cache(5_000, evicted);
    c.set("a", 2_000);
    c.set("b", 2_000);
    c.touch("a");
    c.set("c", 2_000);

    expect(evicted).toEqual(["b"]);
    expect([c.get("a"), c.get("b"), c.get("c")]).toEqual([2_000, undefined, 2_000]);
  });

  it("always keeps the value just set, however large, and evicts everything else for it", () => {
    const evicted: string[] = [];
    const c = cache(5_000, evicted);
    c.set("a", 10);
    c.set("big", 8_000);

    expect(c.get("big")).toBe(8_000);
    expect(c.get("a")).toBeUndefined();
    expect(evicted).toEqual(["a"]);
  });

  it("counts a replaced value once: setting a wave again does not grow the total", () => {
    const c = cache(5_000);
    c.set("a", 3_000);
    c.set("a", 3_001);
    c.set("b", 1_999);

    expect([c.get("a"), c.get("b")]).toEqual([3_001, 1_999]);
  });

  it("forgets a deleted value and tells onEvict", () => {
    const evicted: string[] = [];
    const c = cache(5_000, evicted);
    c.set("a", 1);
    c.delete("a");
    c.delete("a");

    expect(c.get("a")).toBeUndefined();
    expect(evicted).toEqual(["a"]);
  });
});
