import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { REQUEST, TOKENS, startHarness } from "../test-support/harness.js";

describe("GET /v1/queue", () => {
  const redis = useRedis();

  it("counts a tenant's own builds for a tenant, and the whole fleet for an admin", async () => {
    const h = await startHarness(redis);
    await h.submit();
    await h.submit();
    await h.submit(
      { ...REQUEST, destinations: ["registry.internal:5000/team-b/app:v1"], registryCredentials: { secretName: "team-b-cred" } },
      TOKENS.teamB,
    );
    const counts = async (token: string) =>
      (await h.inject(token, { method: "GET", url: "/v1/queue" })).json<{ counts: Record<string, number> }>().counts;
    expect(await counts(TOKENS.readOnly)).toMatchObject({ prioritized: 2, waiting: 0, active: 0 });
    expect(await counts(TOKENS.teamB)).toMatchObject({ prioritized: 1 });
    expect(await counts(TOKENS.limited)).toMatchObject({ prioritized: 0 });
    expect(await counts(TOKENS.admin)).toMatchObject({ prioritized: 3 });
  });
});
