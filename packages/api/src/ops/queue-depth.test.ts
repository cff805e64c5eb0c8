import { describe, expect, it } from "vitest";
import { lanePriority } from "@buildfleet/shared";
import { OTHER_TENANT, parseDepth } from "./queue-depth.js";

const [I, N, B] = [lanePriority("interactive"), lanePriority("normal", 37), lanePriority("bulk", 5)];

describe("parseDepth", () => {
  it("maps BullMQ keys to states and priorities to lanes, wait and prioritized both waiting", () => {
    expect(parseDepth([1, `${N} team-a`, 2, 2, `${N} team-a`, 3, 3, `${I} team-b`, 1, 4, `${B} team-a`, 4])).toEqual([
      { lane: "normal", tenant: "team-a", state: "waiting", jobs: 5 },
      { lane: "interactive", tenant: "team-b", state: "active", jobs: 1 },
      { lane: "bulk", tenant: "team-a", state: "delayed", jobs: 4 },
    ]);
  });

  it("keeps at most maxTenants names and sums the others as _other", () => {
    const rows = parseDepth([2, `${N} c`, 1, 2, `${N} a`, 1, 2, `${N} b`, 1, 2, `${N} d`, 1], 2);
    expect(rows).toEqual([
      { lane: "normal", tenant: OTHER_TENANT, state: "waiting", jobs: 2 },
      { lane: "normal", tenant: "a", state: "waiting", jobs: 1 },
      { lane: "normal", tenant: "b", state: "waiting", jobs: 1 },
    ]);
  });

  it("skips a priority that is no lane", () => {
    expect(parseDepth([2, "0 team-a", 3, 2, "2097151 team-a", 3])).toEqual([]);
  });
});
