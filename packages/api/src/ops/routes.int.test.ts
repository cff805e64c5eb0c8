import { Validator } from "@seriousme/openapi-schema-validator";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { REQUEST, TOKENS, startHarness } from "../test-support/harness.js";

describe("operations endpoints", () => {
  const redis = useRedis();

  it("answers /healthz and /readyz without a token", async () => {
    const h = await startHarness(redis);
    expect((await h.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    expect((await h.app.inject({ method: "GET", url: "/readyz" })).json()).toEqual({ status: "ready" });
  });

  it("answers /readyz 503 when Redis is unreachable", async () => {
    const h = await startHarness(redis);
    h.redis.disconnect();
    const res = await h.app.inject({ method: "GET", url: "/readyz" });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: "unavailable" });
    // Every other route answers 503 INFRASTRUCTURE rather than hanging or leaking details.
    const submit = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: REQUEST });
    expect(submit.statusCode).toBe(503);
    expect(submit.json()).toMatchObject({ error: { code: "INFRASTRUCTURE" } });
  });

  it("exposes request, submit and queue metrics in Prometheus text", async () => {
    const h = await startHarness(redis);
    await h.submit();
    await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: { nope: 1 } });
    const res = await h.app.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/plain");
    const text = res.body;
    expect(text).toContain('buildfleet_api_requests_total{method="POST",route="/v1/builds",status="202"} 1');
    expect(text).toContain('buildfleet_api_requests_total{method="POST",route="/v1/builds",status="400"} 1');
    expect(text).toContain("buildfleet_api_request_duration_seconds_bucket");
    expect(text).toContain('buildfleet_api_submits_total{outcome="created"} 1');
    expect(text).toContain('buildfleet_api_submits_total{outcome="invalid"} 1');
    expect(text).toContain('buildfleet_api_queue_jobs{state="prioritized"} 1');
  });

  it("serves a valid OpenAPI 3 document generated from the schemas", async () => {
    const h = await startHarness(redis);
    const res = await h.app.inject({ method: "GET", url: "/openapi.json" });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } }>();
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.components.schemas.BuildRequest?.properties ?? {})).toEqual(
      expect.arrayContaining(["context", "destinations", "buildArgs", "registryCredentials", "idempotencyKey"]),
    );
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/v1/builds", "/v1/builds/{id}", "/v1/events", "/v1/queue/pause"]));
    // Rebuild waves are described by the contract's schemas their routes are tested against.
    expect(Object.keys(doc.components.schemas.Wave?.properties ?? {})).toEqual(expect.arrayContaining(["id", "state", "counts", "levels", "nodes", "eventSeq"]));
    expect(JSON.stringify(doc.paths["/v1/rebuilds/{id}"])).toContain("#/components/schemas/Wave");
  });

  it("shows queue counts and lets only admins pause and resume", async () => {
    const h = await startHarness(redis);
    await h.submit();
    const view = await h.inject(TOKENS.readOnly, { method: "GET", url: "/v1/queue" });
    expect(view.json()).toEqual({
      builds: { windowHours: 24, truncated: false, queued: 1, starting: 0, running: 0, retrying: 0, succeeded: 0, failed: 0, cancelled: 0 },
      counts: { waiting: 0, active: 0, delayed: 0, prioritized: 1, completed: 0, failed: 0 },
      paused: false,
      pausedSince: null,
      drain: null,
    });
    const paused = await h.inject(TOKENS.admin, { method: "POST", url: "/v1/queue/pause", headers: { "content-type": "application/json" } });
    expect(paused.statusCode).toBe(200);
    expect(paused.json()).toMatchObject({ paused: true });
    expect(await h.queue.isPaused()).toBe(true);
    const resumed = await h.inject(TOKENS.admin, { method: "POST", url: "/v1/queue/resume" });
    expect(resumed.json()).toMatchObject({ paused: false, counts: { prioritized: 1 } });
    expect((await h.inject(TOKENS.readOnly, { method: "POST", url: "/v1/queue/pause" })).statusCode).toBe(403);
  });

  it("answers unknown routes 404 in the error format", async () => {
    const h = await startHarness(redis);
    const res = await h.inject(TOKENS.teamA, { method: "GET", url: "/v2/builds" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
  });
});

