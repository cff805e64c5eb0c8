import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { REQUEST, TOKENS, startHarness } from "../test-support/harness.js";

describe("GET /v1/queue/lanes", () => {
  const redis = useRedis();

  it("counts the waiting builds of each lane, every lane listed", async () => {
    const h = await startHarness(redis);
    await h.submit();
    await h.submit({ ...REQUEST, priority: "bulk" });

    const res = await h.inject(TOKENS.admin, { method: "GET", url: "/v1/queue/lanes" });

    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      lanes: [
        { lane: "interactive", waiting: 0, active: 0, delayed: 0 },
        { lane: "normal", waiting: 1, active: 0, delayed: 0 },
        { lane: "bulk", waiting: 1, active: 0, delayed: 0 },
      ],
    });
  });

  it("refuses a token without the admin scope", async () => {
    const h = await startHarness(redis);
    const res = await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/queue/lanes" });
    expect(res.statusCode).toBe(403);
  });
});
