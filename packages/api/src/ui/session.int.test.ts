import { useRedis } from "@buildfleet/testkit";
import type { LightMyRequestResponse } from "fastify";
import { describe, expect, it } from "vitest";
import { REQUEST, TOKENS, startHarness, type ApiHarness } from "../test-support/harness.js";
import { SIGN_IN_LIMIT } from "./session-routes.js";
import { SESSION_COOKIE } from "./session-store.js";

/** Signs in and returns the cookie header value and the CSRF token. */
async function signIn(h: ApiHarness, token: string): Promise<{ cookie: string; csrf: string; res: LightMyRequestResponse }> {
  const res = await h.app.inject({ method: "POST", url: "/ui/session", payload: { token } });
  const setCookie = String(res.headers["set-cookie"] ?? "");
  const cookie = setCookie.split(";")[0] ?? "";
  return { cookie, csrf: res.statusCode === 201 ? res.json<{ csrfToken: string }>().csrfToken : "", res };
}

describe("dashboard sessions", () => {
  const redis = useRedis();

  it("sets an HttpOnly, SameSite=Strict cookie that reads the token's own builds", async () => {
    const h = await startHarness(redis);
    const mine = await h.submit();
    await h.submit({ ...REQUEST, destinations: ["registry.internal:5000/team-b/app:v1"], registryCredentials: { secretName: "team-b-cred" } }, TOKENS.teamB);
    const { cookie, res } = await signIn(h, TOKENS.teamA);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ tenant: "team-a", scopes: ["submit", "read", "cancel"] });
    expect(JSON.stringify(res.json())).not.toContain(TOKENS.teamA);
    const attrs = String(res.headers["set-cookie"]);
    expect(attrs).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43};`));
    expect(attrs).toMatch(/HttpOnly/);
    expect(attrs).toMatch(/SameSite=Strict/);
    expect(attrs).toMatch(/Path=\//);

    const list = await h.app.inject({ method: "GET", url: "/v1/builds", headers: { cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.json<{ items: { id: string }[] }>().items.map((b) => b.id)).toEqual([mine.id]);
  });

  it("stores no token and no session id in Redis, only their hashes", async () => {
    const h = await startHarness(redis);
    const { cookie } = await signIn(h, TOKENS.teamA);
    const sessionId = cookie.split("=")[1] ?? "";
    const keys = await h.redis.keys(`${h.ks.bullPrefix}:ui-session:*`);
    expect(keys).toHaveLength(1);
    const value = (await h.redis.get(keys[0] ?? "")) ?? "";
    expect(keys[0]).not.toContain(sessionId);
    expect(value).not.toContain(TOKENS.teamA);
    expect(value).not.toContain(sessionId);
    expect(await h.redis.ttl(keys[0] ?? "")).toBeGreaterThan(0);
  });

  it("refuses an unknown token with 401 and sets no cookie", async () => {
    const h = await startHarness(redis);
    const { res } = await signIn(h, "not-a-token");
    expect(res.statusCode).toBe(401);
    expect(res.headers["set-cookie"]).toBeUndefined();
    const empty = await h.app.inject({ method: "POST", url: "/ui/session", payload: {} });
    expect(empty.statusCode).toBe(400);
    expect(empty.json<{ error: { issues: { path: string }[] } }>().error.issues[0]?.path).toBe("token");
  });

  it("refuses a state-changing call without the CSRF header, and takes it with the header", async () => {
    const h = await startHarness(redis);
    const { id } = await h.submit();
    const { cookie, csrf } = await signIn(h, TOKENS.teamA);
    const refused = await h.app.inject({ method: "POST", url: `/v1/builds/${id}/cancel`, headers: { cookie } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json<{ error: { message: string } }>().error.message).toMatch(/x-csrf-token/);
    const wrong = await h.app.inject({ method: "POST", url: `/v1/builds/${id}/cancel`, headers: { cookie, "x-csrf-token": "x".repeat(43) } });
    expect(wrong.statusCode).toBe(403);
    expect((await h.store.get(id))?.state).toBe("queued");
    const ok = await h.app.inject({ method: "POST", url: `/v1/builds/${id}/cancel`, headers: { cookie, "x-csrf-token": csrf } });
    expect(ok.statusCode).toBe(202);
    expect((await h.store.get(id))?.state).toBe("cancelled");
  });

  it("keeps the token's scopes: a read-only session cannot submit or cancel", async () => {
    const h = await startHarness(redis);
    const { id } = await h.submit();
    const { cookie, csrf } = await signIn(h, TOKENS.readOnly);
    const headers = { cookie, "x-csrf-token": csrf };
    expect((await h.app.inject({ method: "POST", url: "/v1/builds", headers, payload: REQUEST })).statusCode).toBe(403);
    expect((await h.app.inject({ method: "POST", url: `/v1/builds/${id}/cancel`, headers })).statusCode).toBe(403);
    expect((await h.app.inject({ method: "POST", url: "/v1/queue/pause", headers })).statusCode).toBe(403);
    expect((await h.app.inject({ method: "GET", url: `/v1/builds/${id}`, headers })).statusCode).toBe(200);
  });

  it("lists another tenant's builds only for an admin", async () => {
    const h = await startHarness(redis);
    const { id } = await h.submit();
    const admin = await h.inject(TOKENS.admin, { method: "GET", url: "/v1/builds?tenant=team-a" });
    expect(admin.json<{ items: { id: string }[] }>().items.map((b) => b.id)).toEqual([id]);
    const other = await h.inject(TOKENS.teamB, { method: "GET", url: "/v1/builds?tenant=team-a" });
    expect(other.statusCode).toBe(403);
    const own = await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/builds?tenant=team-a" });
    expect(own.statusCode).toBe(200);
    const events = await h.inject(TOKENS.teamB, { method: "GET", url: "/v1/events?tenant=team-a" });
    expect(events.statusCode).toBe(403);
    expect(events.json<{ error: { message: string } }>().error.message).toMatch(/^tenant: /);
  });

  it("signs out: the cookie no longer authenticates, and GET /ui/session says 401", async () => {
    const h = await startHarness(redis);
    const { cookie, csrf } = await signIn(h, TOKENS.teamA);
    const me = await h.app.inject({ method: "GET", url: "/ui/session", headers: { cookie } });
    expect(me.json()).toMatchObject({ tenant: "team-a", csrfToken: csrf });
    expect((await h.app.inject({ method: "DELETE", url: "/ui/session", headers: { cookie } })).statusCode).toBe(403);
    const out = await h.app.inject({ method: "DELETE", url: "/ui/session", headers: { cookie, "x-csrf-token": csrf } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers["set-cookie"])).toMatch(/Max-Age=0/);
    expect((await h.app.inject({ method: "GET", url: "/v1/builds", headers: { cookie } })).statusCode).toBe(401);
    expect((await h.app.inject({ method: "GET", url: "/ui/session", headers: { cookie } })).statusCode).toBe(401);
  });

  it("limits sign-in attempts per client address, answering 429 with Retry-After", async () => {
    const h = await startHarness(redis);
    for (let i = 0; i < SIGN_IN_LIMIT.max; i++) expect((await signIn(h, `guess-${i}`)).res.statusCode).toBe(401);
    const { res } = await signIn(h, TOKENS.teamA);
    expect(res.statusCode).toBe(429);
    expect(res.json()).toMatchObject({ error: { code: "RATE_LIMITED" } });
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
  });

  it("counts a session's calls against its token's own rate limit, shared with the bearer token", async () => {
    const h = await startHarness(redis);
    const { cookie } = await signIn(h, TOKENS.limited); // max 3 a minute
    expect((await h.inject(TOKENS.limited, { method: "GET", url: "/v1/queue" })).statusCode).toBe(200);
    expect((await h.app.inject({ method: "GET", url: "/v1/queue", headers: { cookie } })).statusCode).toBe(200);
    expect((await h.app.inject({ method: "GET", url: "/v1/queue", headers: { cookie } })).statusCode).toBe(200);
    const over = await h.app.inject({ method: "GET", url: "/v1/queue", headers: { cookie } });
    expect(over.statusCode).toBe(429);
    expect((await h.inject(TOKENS.limited, { method: "GET", url: "/v1/queue" })).statusCode).toBe(429);
    // Another token's session is not affected.
    const other = await signIn(h, TOKENS.teamA);
    expect((await h.app.inject({ method: "GET", url: "/v1/queue", headers: { cookie: other.cookie } })).statusCode).toBe(200);
  });

  it("a bearer token wins over a cookie of another tenant", async () => {
    const h = await startHarness(redis);
    const { cookie } = await signIn(h, TOKENS.teamA);
    const res = await h.app.inject({ method: "GET", url: "/v1/queue", headers: { cookie, authorization: `Bearer ${TOKENS.admin}` } });
    expect(res.statusCode).toBe(200);
    expect((await h.app.inject({ method: "GET", url: "/v1/builds", headers: { cookie, authorization: "Bearer nope" } })).statusCode).toBe(401);
  });
});
