import { useRedis } from "@buildfleet/testkit";
import type { BuildRecord, BuildEvent } from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import { REQUEST, TOKENS, startHarness } from "../test-support/harness.js";

describe("builds API", () => {
  const redis = useRedis();

  describe("submit", () => {
    it("answers 202 with id, state, queue position and links, and enqueues the build", async () => {
      const h = await startHarness(redis);
      const res = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: REQUEST });
      expect(res.statusCode).toBe(202);
      const body = res.json<{ id: string; state: string; queuePosition: number; idempotent: boolean; links: Record<string, string> }>();
      expect(body).toMatchObject({ state: "queued", queuePosition: 1, idempotent: false });
      expect(body.links).toEqual({
        self: `/v1/builds/${body.id}`,
        logs: `/v1/builds/${body.id}/logs`,
        events: `/v1/events?buildId=${body.id}`,
        cancel: `/v1/builds/${body.id}/cancel`,
      });
      expect((await h.queue.getJob(body.id))?.data).toMatchObject({ tenant: "team-a", buildId: body.id });
      const second = await h.submit();
      expect((await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: REQUEST })).json()).toMatchObject({ queuePosition: 3 });
      expect(second.id).not.toBe(body.id);
    });

    it("returns the same build for a repeated Idempotency-Key header (200) and enqueues once", async () => {
      const h = await startHarness(redis);
      const send = () =>
        h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: REQUEST, headers: { "idempotency-key": "release-1.0.0" } });
      const first = await send();
      const again = await send();
      expect(first.statusCode).toBe(202);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ id: first.json<{ id: string }>().id, idempotent: true, state: "queued" });
      expect(await h.queue.count()).toBe(1);
    });

    it("treats idempotencyKey in the body like the header, and the header wins over it", async () => {
      const h = await startHarness(redis);
      const withField = { ...REQUEST, idempotencyKey: "k-field" };
      const a = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: withField });
      const b = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: withField });
      expect(b.statusCode).toBe(200);
      expect(b.json<{ id: string }>().id).toBe(a.json<{ id: string }>().id);
      const c = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: withField, headers: { "idempotency-key": "k-header" } });
      expect(c.statusCode).toBe(202);
      expect(await h.queue.count()).toBe(2);
    });

    it("refuses an idempotency key sent again with a different request (422, naming the original build)", async () => {
      const h = await startHarness(redis);
      const headers = { "idempotency-key": "mirror-1" };
      const first = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: REQUEST, headers });
      const other = { ...REQUEST, destinations: ["registry.internal:5000/team-a/alpine-tools:v1"] };
      const reused = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: other, headers });
      expect(reused.statusCode).toBe(422);
      const originalId = first.json<{ id: string }>().id;
      expect(reused.json()).toMatchObject({ error: { code: "IDEMPOTENCY_KEY_REUSED" } });
      expect(reused.json<{ error: { message: string } }>().error.message).toContain(originalId);
      expect(await h.queue.count()).toBe(1);
      // Same request in another key order is the same request: the original comes back.
      const reordered = { labels: REQUEST.labels, registryCredentials: REQUEST.registryCredentials, destinations: REQUEST.destinations, context: REQUEST.context };
      const again = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: reordered, headers });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ id: originalId, idempotent: true });
    });

    it("keeps idempotency keys per tenant", async () => {
      const h = await startHarness(redis);
      const headers = { "idempotency-key": "same" };
      await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: REQUEST, headers });
      const b = await h.inject(TOKENS.teamB, {
        method: "POST",
        url: "/v1/builds",
        payload: { ...REQUEST, destinations: ["registry.internal:5000/team-b/app:v1"], registryCredentials: { secretName: "team-b-cred" } },
        headers,
      });
      expect(b.statusCode).toBe(202);
    });

    it("refuses an invalid Idempotency-Key header, naming it", async () => {
      const h = await startHarness(redis);
      const res = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: REQUEST, headers: { "idempotency-key": "a b" } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: "VALIDATION_FAILED", issues: [{ path: "Idempotency-Key" }] } });
      expect(await h.queue.count()).toBe(0);
    });
  });

  describe("read", () => {
    it("returns the record with its event history, oldest first", async () => {
      const h = await startHarness(redis);
      const { id } = await h.submit();
      await h.markRunning(id);
      const res = await h.inject(TOKENS.readOnly, { method: "GET", url: `/v1/builds/${id}` });
      expect(res.statusCode).toBe(200);
      const view = res.json<BuildRecord & { events: BuildEvent[] }>();
      expect(view).toMatchObject({ id, tenant: "team-a", state: "running", jobName: "b-test-1", labels: { team: "payments" } });
      expect(view.events.map((e) => e.type)).toEqual(["build.queued", "build.running"]);
    });

    it("answers 404 for an unknown or malformed id", async () => {
      const h = await startHarness(redis);
      for (const id of ["01hzzzzzzzzzzzzzzzzzzzzzzz", "..%2F..%2Fetc", "x"]) {
        const res = await h.inject(TOKENS.teamA, { method: "GET", url: `/v1/builds/${id}` });
        expect(res.statusCode).toBe(404);
        expect(res.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
      }
    });
  });

  describe("list", () => {
    it("pages the tenant's builds newest first with a cursor", async () => {
      const h = await startHarness(redis);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await h.submit()).id);
      await h.submit({ ...REQUEST, destinations: ["registry.internal:5000/team-b/x:v1"], registryCredentials: { secretName: "team-b-cred" } }, TOKENS.teamB);

      const seen: string[] = [];
      let url = "/v1/builds?limit=2";
      for (let page = 0; page < 10; page++) {
        const res = await h.inject(TOKENS.teamA, { method: "GET", url });
        expect(res.statusCode).toBe(200);
        const body = res.json<{ items: BuildRecord[]; nextCursor: string | null }>();
        expect(body.items.length).toBeLessThanOrEqual(2);
        seen.push(...body.items.map((b) => b.id));
        if (body.nextCursor === null) break;
        url = `/v1/builds?limit=2&cursor=${encodeURIComponent(body.nextCursor)}`;
      }
      expect(seen).toEqual([...ids].reverse());
    });

    it("continues a filtered listing with its cursor and refuses the cursor without those filters", async () => {
      const h = await startHarness(redis);
      const failed: string[] = [];
      for (let i = 0; i < 2; i++) {
        const { id } = await h.submit();
        await h.finish(id, "failed");
        failed.push(id);
      }
      await h.finish((await h.submit()).id, "succeeded");
      const first = (await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/builds?state=failed&limit=1" })).json<{ items: BuildRecord[]; nextCursor: string }>();
      expect(first.items.map((b) => b.id)).toEqual([failed[1]]);
      const cursor = encodeURIComponent(first.nextCursor);
      const next = await h.inject(TOKENS.teamA, { method: "GET", url: `/v1/builds?state=failed&limit=5&cursor=${cursor}` });
      expect(next.json<{ items: BuildRecord[] }>().items.map((b) => b.id)).toEqual([failed[0]]);
      const unfiltered = await h.inject(TOKENS.teamA, { method: "GET", url: `/v1/builds?limit=5&cursor=${cursor}` });
      expect(unfiltered.statusCode).toBe(400);
      expect(unfiltered.json<{ error: { issues: { path: string; message: string }[] } }>().error.issues[0]).toMatchObject({ path: "cursor" });
    });

    it("filters by several states and by label", async () => {
      const h = await startHarness(redis);
      const queued = await h.submit();
      const running = await h.submit({ ...REQUEST, labels: { team: "search" } });
      await h.markRunning(running.id);
      const done = await h.submit();
      await h.finish(done.id);

      const states = await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/builds?state=running&state=queued" });
      expect(states.json<{ items: BuildRecord[] }>().items.map((b) => b.id)).toEqual([running.id, queued.id]);
      const label = await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/builds?label=team%3Dpayments" });
      expect(label.json<{ items: BuildRecord[] }>().items.map((b) => b.id)).toEqual([done.id, queued.id]);
      const one = await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/builds?state=succeeded" });
      expect(one.json()).toMatchObject({ items: [{ id: done.id, digest: `sha256:${"a".repeat(64)}` }], nextCursor: null });
    });

    it("refuses bad query parameters, naming them", async () => {
      const h = await startHarness(redis);
      for (const [query, path] of [
        ["state=exploded", "state"],
        ["limit=0", "limit"],
        ["limit=abc", "limit"],
        ["label=nokey", "label"],
        ["cursor=bogus", "cursor"],
        ["sort=asc", "sort"],
      ] as const) {
        const res = await h.inject(TOKENS.teamA, { method: "GET", url: `/v1/builds?${query}` });
        expect(res.statusCode, query).toBe(400);
        expect(res.json<{ error: { issues: { path: string }[] } }>().error.issues.map((i) => i.path).join(","), query).toContain(path);
      }
    });
  });

  describe("cancel", () => {
    it("cancels a queued build at once and removes it from the queue", async () => {
      const h = await startHarness(redis);
      const { id } = await h.submit();
      const res = await h.inject(TOKENS.teamA, { method: "POST", url: `/v1/builds/${id}/cancel` });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ id, state: "cancelled", cancelledBy: "api:team-a" });
      expect(await h.queue.getJob(id)).toBeUndefined();
      expect((await h.store.events(id)).map((e) => e.type)).toEqual(["build.queued", "build.cancelled"]);
    });

    it("marks a running build (DELETE) and leaves the cancelled state to its worker", async () => {
      const h = await startHarness(redis);
      const { id } = await h.submit();
      await h.markRunning(id);
      const res = await h.inject(TOKENS.teamA, { method: "DELETE", url: `/v1/builds/${id}` });
      expect(res.statusCode).toBe(202);
      const record = res.json<BuildRecord>();
      expect(record.state).toBe("running");
      expect(record.cancelRequestedAt).toBeDefined();
    });

    it("answers 409 for a finished build and changes nothing", async () => {
      const h = await startHarness(redis);
      const { id } = await h.submit();
      await h.finish(id, "failed");
      const res = await h.inject(TOKENS.teamA, { method: "POST", url: `/v1/builds/${id}/cancel` });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ error: { code: "CONFLICT" } });
      expect((await h.store.get(id))?.state).toBe("failed");
    });
  });

  describe("tenant isolation", () => {
    it("hides tenant B's builds from tenant A: read, list and cancel answer as if they did not exist", async () => {
      const h = await startHarness(redis);
      const b = await h.submit(
        { ...REQUEST, destinations: ["registry.internal:5000/team-b/app:v1"], registryCredentials: { secretName: "team-b-cred" } },
        TOKENS.teamB,
      );
      const read = await h.inject(TOKENS.teamA, { method: "GET", url: `/v1/builds/${b.id}` });
      const unknown = await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/builds/01hzzzzzzzzzzzzzzzzzzzzzzz" });
      expect(read.statusCode).toBe(404);
      expect(read.json<{ error: { message: string } }>().error.message).toBe(`build ${b.id} not found`);
      expect(Object.keys(unknown.json<object>())).toEqual(Object.keys(read.json<object>()));
      expect((await h.inject(TOKENS.teamA, { method: "POST", url: `/v1/builds/${b.id}/cancel` })).statusCode).toBe(404);
      expect((await h.inject(TOKENS.teamA, { method: "DELETE", url: `/v1/builds/${b.id}` })).statusCode).toBe(404);
      expect((await h.inject(TOKENS.teamA, { method: "GET", url: `/v1/builds/${b.id}/logs` })).statusCode).toBe(404);
      expect((await h.inject(TOKENS.teamA, { method: "GET", url: `/v1/events?buildId=${b.id}` })).statusCode).toBe(404);
      const list = await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/builds" });
      expect(list.json()).toEqual({ items: [], nextCursor: null });
      expect((await h.store.get(b.id))?.state).toBe("queued");
    });

    it.each([
      [{ destinations: ["registry.internal:5000/team-b/app:v1"] }, "destinations[0]", "registry.internal:5000/team-b/app:v1"],
      [{ destinations: ["registry.internal:5000/team-a/app:v1", "docker.io/team-a/app:v1"] }, "destinations[1]", "docker.io/team-a/app:v1"],
      [{ destinations: ["ghcr.io/team-ab/app:v1"] }, "destinations[0]", "ghcr.io/team-ab/app:v1"],
      [{ registryCredentials: { secretName: "team-b-cred" } }, "registryCredentials.secretName", "team-b-cred"],
      [{ cache: { enabled: true, repository: "registry.internal:5000/team-b/cache" } }, "cache.repository", "team-b/cache"],
    ])("answers 403 naming the field for %j and enqueues nothing", async (patch, field, value) => {
      const h = await startHarness(redis);
      const res = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: { ...REQUEST, ...patch } });
      expect(res.statusCode).toBe(403);
      const { error } = res.json<{ error: { code: string; message: string } }>();
      expect(error.code).toBe("FORBIDDEN");
      expect(error.message).toContain(field);
      expect(error.message).toContain(value);
      expect(await h.queue.count()).toBe(0);
      expect(await h.buildKeys()).toEqual([]);
    });
  });

  describe("auth", () => {
    it.each([
      ["no header", undefined],
      ["an unknown token", { authorization: "Bearer nope" }],
      ["the token's hash instead of the token", { authorization: "Bearer 5e4b" }],
      ["another scheme", { authorization: `Basic ${TOKENS.teamA}` }],
    ])("answers 401 for %s", async (_what, headers) => {
      const h = await startHarness(redis);
      for (const [method, url] of [
        ["POST", "/v1/builds"],
        ["GET", "/v1/builds"],
        ["GET", "/v1/queue"],
        ["GET", "/v1/events"],
      ] as const) {
        const res = await h.app.inject({ method, url, ...(headers ? { headers } : {}), ...(method === "POST" ? { payload: REQUEST } : {}) });
        expect(res.statusCode, `${method} ${url}`).toBe(401);
        expect(res.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
      }
      expect(await h.queue.count()).toBe(0);
    });

    it("answers 403 for a missing scope", async () => {
      const h = await startHarness(redis);
      const submit = await h.inject(TOKENS.readOnly, { method: "POST", url: "/v1/builds", payload: REQUEST });
      expect(submit.statusCode).toBe(403);
      expect(submit.json<{ error: { message: string } }>().error.message).toContain('"submit" scope');
      expect((await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/queue/pause" })).statusCode).toBe(403);
      expect(await h.queue.isPaused()).toBe(false);
      expect(await h.queue.count()).toBe(0);
    });

    it("limits each token on its own: 429 with Retry-After past the token's budget", async () => {
      const h = await startHarness(redis);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await h.inject(TOKENS.limited, { method: "GET", url: "/v1/builds" })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const limited = await h.inject(TOKENS.limited, { method: "GET", url: "/v1/builds" });
      expect(limited.json()).toMatchObject({ error: { code: "RATE_LIMITED" } });
      // The configured window (60 s), not the time left in it.
      expect(limited.json<{ error: { message: string } }>().error.message).toMatch(/^rate limit of 3 requests per 60 s exceeded; retry in \d+ s$/);
      expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
      // Another token is not affected; probes are never limited.
      expect((await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/builds" })).statusCode).toBe(200);
      expect((await h.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    });

    it("shares a token's budget between API replicas (counters in Redis)", async () => {
      const one = await startHarness(redis);
      const two = await startHarness(redis);
      const get = (h: typeof one) => h.inject(TOKENS.limited, { method: "GET", url: "/v1/builds" });
      expect([(await get(one)).statusCode, (await get(two)).statusCode, (await get(one)).statusCode]).toEqual([200, 200, 200]);
      expect((await get(two)).statusCode).toBe(429);
    });
  });
});
