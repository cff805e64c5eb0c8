import { useRedis } from "@buildfleet/testkit";
import type { BuildEvent } from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import { REQUEST, TOKENS, startHarness, type ApiHarness } from "../test-support/harness.js";
import { openStream } from "../test-support/stream-client.js";

const TEAM_B_REQUEST = {
  ...REQUEST,
  destinations: ["registry.internal:5000/team-b/app:v1"],
  registryCredentials: { secretName: "team-b-cred" },
};

/** Stream ids of every event so far, with their build and type. */
async function streamEntries(h: ApiHarness): Promise<{ id: string; buildId: string; type: string }[]> {
  const raw = await h.redis.xrange(h.ks.events, "-", "+");
  return raw.map(([id, fields]) => {
    const event = JSON.parse(fields[fields.indexOf("event") + 1] ?? "{}") as BuildEvent;
    return { id, buildId: event.subject, type: event.type };
  });
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe("GET /v1/events (SSE)", () => {
  const redis = useRedis();

  it("resumes after Last-Event-ID with exactly the later events of the tenant, then streams new ones", async () => {
    const h = await startHarness(redis);
    const a = await h.submit();
    const b = await h.submit(TEAM_B_REQUEST, TOKENS.teamB);
    await h.markRunning(a.id);
    await h.markRunning(b.id);
    const [aQueued] = await streamEntries(h);
    const base = await h.listen();

    const client = await openStream(`${base}/v1/events`, { ...auth(TOKENS.teamA), "last-event-id": aQueued?.id ?? "" });
    expect(client.status).toBe(200);
    expect(client.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    await client.waitFor(() => client.events().length >= 1);
    await h.finish(a.id);
    await h.finish(b.id);
    await client.waitFor(() => client.events().length >= 2);

    const expected = (await streamEntries(h)).filter((e) => e.buildId === a.id && e.id !== aQueued?.id);
    const got = client.events();
    expect(got.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(got.map((e) => e.event)).toEqual(["build.running", "build.succeeded"]);
    const data = JSON.parse(got[1]?.data ?? "{}") as BuildEvent;
    expect(data).toMatchObject({ type: "build.succeeded", subject: a.id, specversion: "1.0" });
    await client.close();
  });

  it("accepts ?since= like Last-Event-ID and filters to one build", async () => {
    const h = await startHarness(redis);
    const a = await h.submit();
    const other = await h.submit();
    await h.markRunning(other.id);
    await h.markRunning(a.id);
    await h.finish(a.id);
    const base = await h.listen();
    const client = await openStream(`${base}/v1/events?buildId=${a.id}&since=0-0`, auth(TOKENS.readOnly));
    await client.waitFor(() => client.events().length >= 3);
    expect(client.events().map((e) => e.event)).toEqual(["build.queued", "build.running", "build.succeeded"]);
    await client.close();
  });

  it("starts with new events only when no resume point is given, and sends keep-alive comments", async () => {
    const h = await startHarness(redis, { timing: { keepAliveMs: 50, eventsBlockMs: 200 } });
    const before = await h.submit();
    const base = await h.listen();
    const client = await openStream(`${base}/v1/events`, auth(TOKENS.teamA));
    await client.waitFor(() => client.comments().includes("connected"));
    const after = await h.submit();
    await client.waitFor(() => client.events().length >= 1);
    await client.waitFor(() => client.comments().includes("keep-alive"));
    expect(client.events().map((e) => JSON.parse(e.data) as BuildEvent).map((e) => e.subject)).toEqual([after.id]);
    expect(before.id).not.toBe(after.id);
    await client.close();
  });

  it("ends open streams when the app closes", async () => {
    const h = await startHarness(redis, { timing: { eventsBlockMs: 200 } });
    const base = await h.listen();
    const client = await openStream(`${base}/v1/events`, auth(TOKENS.teamA));
    await client.waitFor(() => client.comments().includes("connected"));
    await h.app.close();
    await client.ended();
  });

  it.each([
    ["since", { url: "/v1/events?since=99999999999999999999-0", headers: {} }],
    ["since", { url: "/v1/events?since=1-18446744073709551616", headers: {} }],
    ["Last-Event-ID", { url: "/v1/events", headers: { "last-event-id": "99999999999999999999-0" } }],
  ])("answers 400 naming %s for an id out of Redis' 64-bit range, before reading anything", async (path, req) => {
    const h = await startHarness(redis);
    const res = await h.inject(TOKENS.teamA, { method: "GET", ...req });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: "VALIDATION_FAILED", issues: [{ path }] } });
    // Checked before the build is looked up: an unknown buildId does not turn it into a 404.
    const withBuild = await h.inject(TOKENS.teamA, { method: "GET", headers: req.headers, url: `${req.url}${req.url.includes("?") ? "&" : "?"}buildId=01jzzzzzzzzzzzzzzzzzzzzzzz` });
    expect(withBuild.statusCode).toBe(400);
  });

  it("refuses a malformed resume point, naming it", async () => {
    const h = await startHarness(redis);
    const res = await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/events", headers: { "last-event-id": "$" } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { issues: [{ path: "Last-Event-ID" }] } });
    const since = await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/events?since=abc" });
    expect(since.json()).toMatchObject({ error: { issues: [{ path: "since" }] } });
  });
});
