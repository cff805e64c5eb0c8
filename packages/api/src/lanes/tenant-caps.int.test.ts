import { TenantCapStore } from "@buildfleet/shared";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { REQUEST, TOKENS, startHarness } from "../test-support/harness.js";

describe("lanes: tenant caps at submit", () => {
  const redis = useRedis();

  it("answers 429 with a clear message at maxQueued, and publishes maxRunning for the workers", async () => {
    const h = await startHarness(redis);
    const submit = () => h.inject(TOKENS.capped, { method: "POST", url: "/v1/builds", payload: REQUEST });
    expect((await submit()).statusCode).toBe(202);
    expect((await submit()).statusCode).toBe(202);
    const refused = await submit();
    expect(refused.statusCode).toBe(429);
    expect(refused.headers["retry-after"]).toBe("30");
    expect(refused.json<{ error: { message: string } }>().error.message).toBe(
      "tenant team-d has 2 builds waiting in the queue, its maxQueued of 2: submit again when some have started, or cancel some",
    );
    // Other tenants are not held by team-d's cap.
    expect((await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: REQUEST })).statusCode).toBe(202);
    expect(await new TenantCapStore(h.redis, h.ks).maxRunning()).toEqual(new Map([["team-d", 1]]));
  });

  it("orders the submits of a weighted tenant fairly against another tenant's flood", async () => {
    const h = await startHarness(redis);
    for (let i = 0; i < 5; i++) await h.submit();
    const late = await h.inject(TOKENS.capped, { method: "POST", url: "/v1/builds", payload: REQUEST });
    // team-d's first build goes ahead of team-a's waiting flood (nothing has been taken yet).
    expect(late.json<{ queuePosition: number }>().queuePosition).toBe(1);
  });
});
