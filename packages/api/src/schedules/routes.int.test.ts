import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { TOKENS, startHarness, type ApiHarness } from "../test-support/harness.js";

function doc(name: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "buildfleet.dev/v1",
    kind: "Schedule",
    metadata: { name },
    spec: {
      cron: "0 * * * *",
      timeZone: "Europe/Berlin",
      target: { mirror: { source: "docker.io/library/busybox:latest", destinations: ["registry.internal:5000/team-a/mirror/busybox:1.36"] } },
      ...spec,
    },
  };
}

const put = (h: ApiHarness, d: { metadata: { name: string } }, token: string = TOKENS.teamA) => h.inject(token, { method: "PUT", url: `/v1/schedules/${d.metadata.name}`, payload: d });

interface View {
  spec: { suspend: boolean };
  status: { next: string | null; last: string | null; result: string | null };
}

describe("/v1/schedules", () => {
  const redis = useRedis();

  it("applies, lists, gets with the next firing, suspends, resumes and deletes", async () => {
    const h = await startHarness(redis);
    expect((await put(h, doc("busybox-mirror"))).statusCode).toBe(201);
    expect((await put(h, doc("busybox-mirror"))).json<{ result: string }>().result).toBe("configured");

    const list = await h.inject(TOKENS.readOnly, { method: "GET", url: "/v1/schedules" });
    expect(list.json<{ items: { metadata: { name: string } }[] }>().items.map((i) => i.metadata.name)).toEqual(["busybox-mirror"]);
    const got = (await h.inject(TOKENS.readOnly, { method: "GET", url: "/v1/schedules/busybox-mirror" })).json<View>();
    expect(got.status.next).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/);
    expect(got.status.last).toBeNull();

    const suspended = (await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/schedules/busybox-mirror/suspend" })).json<View>();
    expect([suspended.spec.suspend, suspended.status.next]).toEqual([true, null]);
    const resumed = (await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/schedules/busybox-mirror/resume" })).json<View>();
    expect(resumed.spec.suspend).toBe(false);
    expect((await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/schedules/busybox-mirror/trigger" })).statusCode).toBe(202);

    expect((await h.inject(TOKENS.teamA, { method: "DELETE", url: "/v1/schedules/busybox-mirror" })).statusCode).toBe(200);
    expect((await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/schedules/busybox-mirror" })).statusCode).toBe(404);
  });

  it("refuses a bad cron, an unknown zone and two target kinds naming the field, storing nothing", async () => {
    const h = await startHarness(redis);
    const paths = async (d: ReturnType<typeof doc>) => {
      const res = await put(h, d);
      expect(res.statusCode).toBe(400);
      return res.json<{ error: { issues: { path: string }[] } }>().error.issues.map((i) => i.path);
    };
    expect(await paths(doc("x", { cron: "0 25 * * *" }))).toEqual(["spec.cron"]);
    expect(await paths(doc("x", { timeZone: "Europe/Atlantis" }))).toEqual(["spec.timeZone"]);
    expect(await paths(doc("x", { target: { image: "app", mirror: { source: "busybox:1", destinations: ["registry.internal:5000/team-a/b:1"] } } }))).toEqual(["spec.target"]);
    expect((await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/schedules/x" })).statusCode).toBe(404);
  });

  it("refuses a mirror into a registry the tenant may not push to, and hides other tenants' schedules", async () => {
    const h = await startHarness(redis);
    const other = doc("theirs", { target: { mirror: { source: "busybox:latest", destinations: ["registry.internal:5000/team-b/busybox:1.36"] } } });
    expect((await put(h, other)).statusCode).toBe(403);
    expect((await put(h, other, TOKENS.teamB)).statusCode).toBe(201);
    expect((await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/schedules/theirs" })).statusCode).toBe(404);
  });
});
