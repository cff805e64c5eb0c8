import { checkMetricsText, metricValue, skipWithoutPromtool, useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { REQUEST, TOKENS, startHarness } from "../test-support/harness.js";

const TEAM_B_REQUEST = { ...REQUEST, destinations: ["registry.internal:5000/team-b/app:v1.0.0"], registryCredentials: { secretName: "team-b-cred" } };

describe("API /metrics: queue depth by lane and tenant", () => {
  const redis = useRedis();

  it("counts waiting builds per lane and tenant, never by build id", async () => {
    const h = await startHarness(redis);
    await h.submit({ ...REQUEST, priority: "interactive" });
    await h.submit({ ...REQUEST, priority: "bulk" });
    await h.submit({ ...REQUEST, priority: "bulk" });
    const b = await h.submit({ ...TEAM_B_REQUEST, priority: "bulk" }, TOKENS.teamB);

    const text = (await h.app.inject({ method: "GET", url: "/metrics" })).body;

    const depth = (labels: Record<string, string>): number | undefined => metricValue(text, "buildfleet_api_queue_tenant_jobs", labels);
    expect(depth({ lane: "interactive", tenant: "team-a", state: "waiting" })).toBe(1);
    expect(depth({ lane: "bulk", tenant: "team-a", state: "waiting" })).toBe(2);
    expect(depth({ lane: "bulk", tenant: "team-b", state: "waiting" })).toBe(1);
    expect(depth({ lane: "normal" })).toBeUndefined();
    expect(text).not.toContain(b.id);
  });

  it.skipIf(skipWithoutPromtool)("passes promtool check metrics", async () => {
    const h = await startHarness(redis);
    await h.submit();
    await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: { nope: 1 } });
    const text = (await h.app.inject({ method: "GET", url: "/metrics" })).body;
    expect(metricValue(text, "buildfleet_api_queue_tenant_jobs", { tenant: "team-a" })).toBe(1);
    expect(await checkMetricsText(text)).toBe("");
  });
});
