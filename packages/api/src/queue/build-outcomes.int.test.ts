import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { REQUEST, TOKENS, startHarness } from "../test-support/harness.js";

describe("GET /v1/queue: build outcomes", () => {
  const redis = useRedis();

  it("counts failed and succeeded builds from the records, per tenant and for the fleet", async () => {
    const h = await startHarness(redis);
    const a = await h.submit();
    const b = await h.submit();
    await h.submit();
    await h.finish(a.id, "failed");
    await h.finish(b.id, "succeeded");
    await h.submit(
      { ...REQUEST, destinations: ["registry.internal:5000/team-b/app:v1"], registryCredentials: { secretName: "team-b-cred" } },
      TOKENS.teamB,
    );
    const view = async (token: string) =>
      (await h.inject(token, { method: "GET", url: "/v1/queue" })).json<{ builds: Record<string, unknown>; counts: Record<string, number> }>();
    const mine = await view(TOKENS.teamA);
    expect(mine.builds).toEqual({ windowHours: 24, truncated: false, queued: 1, starting: 0, running: 0, retrying: 0, succeeded: 1, failed: 1, cancelled: 0 });
    // BullMQ's own counts are kept, under their own name: they know nothing of the failure.
    expect(mine.counts.failed).toBe(0);
    expect((await view(TOKENS.teamB)).builds).toMatchObject({ queued: 1, failed: 0 });
    expect((await view(TOKENS.admin)).builds).toMatchObject({ queued: 2, succeeded: 1, failed: 1 });
  });
});
