import { createWorkerRegistry } from "@buildfleet/shared";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { TOKENS, startHarness } from "../test-support/harness.js";

const json = { "content-type": "application/json" };

describe("POST /v1/queue/drain", () => {
  const redis = useRedis();

  it("pauses, cancels each queued build once with reason Drained, leaves a started one alone, and shows the drain", async () => {
    const h = await startHarness(redis);
    const queued = [await h.submit(), await h.submit()];
    const started = await h.submit();
    // Recorded as started (no worker holds its queue entry here, so the drain is at once "drained").
    await h.markRunning(started.id);

    const res = await h.inject(TOKENS.admin, { method: "POST", url: "/v1/queue/drain", headers: json, payload: { cancelQueued: true, reason: "node upgrade" } });

    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ paused: true, cancelled: 2, drain: { state: "drained", reason: "node upgrade", by: "api:ops", cancelQueued: true } });
    for (const b of queued) {
      const cancelled = (await h.store.events(b.id)).filter((e) => e.type === "build.cancelled");
      expect(cancelled.map((e) => e.data)).toEqual([{ buildId: b.id, by: "api:ops", reason: "Drained" }]);
    }
    expect((await h.store.get(started.id))?.state).toBe("running");
    const view = await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/queue" });
    expect(view.json()).toMatchObject({ paused: true, drain: { reason: "node upgrade" } });
    expect(view.json<{ pausedSince: string }>().pausedSince).toMatch(/^\d{4}-/);
  });

  it("with rejectNew answers submissions 503 with Retry-After until resumed", async () => {
    const h = await startHarness(redis);
    await h.inject(TOKENS.admin, { method: "POST", url: "/v1/queue/drain", headers: json, payload: { rejectNew: true } });

    const refused = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: { destinations: ["x"] } });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers["retry-after"]).toBe("60");
    expect(refused.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: "UNAVAILABLE" });
    expect(refused.json<{ error: { message: string } }>().error.message).toMatch(/draining/);
    // Authentication still comes first.
    expect((await h.inject(undefined, { method: "POST", url: "/v1/builds", payload: {} })).statusCode).toBe(401);

    const resumed = await h.inject(TOKENS.admin, { method: "POST", url: "/v1/queue/resume" });
    expect(resumed.json()).toMatchObject({ paused: false, drain: null, pausedSince: null });
    await h.submit();
  });

  it("is server state: another API process (a restart) reports the drain and its resume ends it", async () => {
    const first = await startHarness(redis);
    await first.inject(TOKENS.admin, { method: "POST", url: "/v1/queue/drain", headers: json, payload: { rejectNew: true, reason: "maintenance" } });
    await first.app.close();

    const second = await startHarness(redis);
    expect((await second.inject(TOKENS.teamA, { method: "GET", url: "/v1/queue" })).json()).toMatchObject({ paused: true, drain: { reason: "maintenance", rejectNew: true } });
    expect((await second.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: {} })).statusCode).toBe(503);
    await second.inject(TOKENS.admin, { method: "POST", url: "/v1/queue/resume" });
    expect((await second.inject(TOKENS.teamA, { method: "GET", url: "/v1/queue" })).json()).toMatchObject({ paused: false, drain: null });
  });

  it("refuses a bad body naming the field, and tenants", async () => {
    const h = await startHarness(redis);
    const bad = await h.inject(TOKENS.admin, { method: "POST", url: "/v1/queue/drain", headers: json, payload: { cancelQueued: "yes" } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { issues: [{ path: "cancelQueued" }] } });
    expect((await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/queue/drain" })).statusCode).toBe(403);
    expect(await h.queue.isPaused()).toBe(false);
  });
});

describe("/v1/workers", () => {
  const redis = useRedis();

  it("lists reports, shows a silent worker as gone, and records quiet/resume for a live one", async () => {
    const h = await startHarness(redis);
    const registry = createWorkerRegistry(h.redis, h.ks);
    const report = { host: "node-1", pid: 1, version: "0.1.0", capacity: 4, inFlight: 1, state: "running" as const, startedAt: new Date().toISOString() };
    await registry.report({ ...report, id: "w-live", heartbeatAt: new Date().toISOString() });
    await registry.report({ ...report, id: "w-silent", heartbeatAt: new Date(Date.now() - 60_000).toISOString() });

    const list = await h.inject(TOKENS.admin, { method: "GET", url: "/v1/workers" });
    expect(list.json<{ items: { id: string; state: string }[] }>().items.map((w) => [w.id, w.state])).toEqual([
      ["w-live", "running"],
      ["w-silent", "gone"],
    ]);

    expect((await h.inject(TOKENS.admin, { method: "POST", url: "/v1/workers/w-live/quiet" })).json()).toMatchObject({ wanted: "quiet" });
    expect(await registry.wanted("w-live")).toBe("quiet");
    await h.inject(TOKENS.admin, { method: "POST", url: "/v1/workers/w-live/resume" });
    expect(await registry.wanted("w-live")).toBe("running");
    expect((await h.inject(TOKENS.admin, { method: "POST", url: "/v1/workers/w-silent/quiet" })).statusCode).toBe(404);
    expect((await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/workers" })).statusCode).toBe(403);
  });
});
