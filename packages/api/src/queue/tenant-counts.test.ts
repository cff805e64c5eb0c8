import { describe, expect, it } from "vitest";
import { parseTenantCounts } from "./tenant-counts.js";

describe("parseTenantCounts", () => {
  it("reads [state index, tenant, count] triples into counts per tenant, zero elsewhere", () => {
    const counts = parseTenantCounts([1, "team-a", 2, 4, "team-a", 1, 2, "team-b", 3]);
    expect(counts.get("team-a")).toEqual({ waiting: 2, active: 0, delayed: 0, prioritized: 1, completed: 0, failed: 0 });
    expect(counts.get("team-b")).toMatchObject({ active: 3, waiting: 0 });
    expect(counts.get("team-c")).toBeUndefined();
  });
});
