import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { REQUEST, TOKENS, startHarness } from "../test-support/harness.js";

/**
 * A tenant's build context reaches only what its token allows: its own
 * PersistentVolumeClaims, and context URLs whose host resolves to public
 * addresses (or is on the tenant's contextHosts list).
 */
describe("build contexts: tenant isolation", () => {
  const redis = useRedis();
  const teamB = { destinations: ["registry.internal:5000/team-b/app:v1.0.0"], registryCredentials: { secretName: "team-b-cred" } };

  it("refuses another team's claimName with 403 naming the field, and writes nothing", async () => {
    const h = await startHarness(redis);
    const res = await h.inject(TOKENS.teamA, {
      method: "POST",
      url: "/v1/builds",
      payload: { ...REQUEST, context: { type: "volume", claimName: "team-b-workspace", path: "my-build" } },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
    expect(res.json<{ error: { message: string } }>().error.message).toContain("context.claimName");
    expect(await h.buildKeys()).toEqual([]);
    // The claim's owner may use it.
    await h.submit({ ...REQUEST, ...teamB, context: { type: "volume", claimName: "team-b-workspace", path: "my-build" } }, TOKENS.teamB);
  });

  it.each([
    ["cloud metadata", { type: "git", url: "http://169.254.169.254/latest/meta-data.git" }],
    ["loopback (text)", { type: "tarball", url: "https://127.0.0.1:8443/x.tar.gz" }],
    ["loopback (a decimal IPv4 literal)", { type: "git", url: "http://2130706433/x.git" }],
    ["loopback (IPv6)", { type: "git", url: "https://[::1]/x.git" }],
    ["loopback (a name that resolves to it)", { type: "tarball", url: "https://localhost/x.tar.gz" }],
    ["a private range", { type: "git", url: "https://10.1.2.3/team/app.git" }],
    ["link-local", { type: "git", url: "https://169.254.10.1/team/app.git" }],
  ])("refuses a context URL pointing inside the network: %s", async (_what, context) => {
    const h = await startHarness(redis);
    const res = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: { ...REQUEST, context } });
    expect(res.statusCode).toBe(403);
    expect(res.json<{ error: { message: string } }>().error.message).toContain("context.url");
    expect(await h.buildKeys()).toEqual([]);
  });

  it("admits loopback hosts a tenant's contextHosts lists, but never the cloud metadata address", async () => {
    const h = await startHarness(redis);
    await h.submit({ ...REQUEST, ...teamB, context: { type: "tarball", url: "https://127.0.0.1:8443/x.tar.gz" } }, TOKENS.teamB);
    await h.submit({ ...REQUEST, ...teamB, context: { type: "git", url: "http://localhost:3000/team/app.git" } }, TOKENS.teamB);
    const metadata = await h.inject(TOKENS.teamB, {
      method: "POST",
      url: "/v1/builds",
      payload: { ...REQUEST, ...teamB, context: { type: "git", url: "http://169.254.169.254/x.git" } },
    });
    expect(metadata.statusCode).toBe(403);
  });

  it("does not resolve s3:// and gs:// bucket names (the cloud SDK picks the endpoint)", async () => {
    const h = await startHarness(redis);
    await h.submit({ ...REQUEST, context: { type: "tarball", url: "s3://build-contexts/team-a/app.tar.gz" } });
  });
});
