import { describe, expect, it } from "vitest";
import { priorityValue } from "./priority.js";

describe("priorityValue", () => {
  it("orders interactive before normal before bulk, never 0 (BullMQ's un-prioritized lane)", () => {
    const values = (["interactive", "normal", "bulk"] as const).map(priorityValue);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBe(3);
    expect(Math.min(...values)).toBeGreaterThan(0);
  });
});
