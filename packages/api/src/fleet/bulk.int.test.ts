import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { REQUEST, TOKENS, startHarness, type ApiHarness } from "../test-support/harness.js";

const json = { "content-type": "application/json" };
type Answer = { dryRun: boolean; matched: number; needsAll: boolean; ids: string[]; done: number; skipped: number; max: number };

const withLabels = (labels: Record<string, string>) => ({ ...REQUEST, labels });
const TEAM_B = {
  ...REQUEST,
  destinations: ["registry.internal:5000/team-b/app:v1"],
  registryCredentials: { secretName: "team-b-cred" },
  labels: { team: "payments" },
};

async function post(h: ApiHarness, token: string, url: string, payload: object) {
  return h.inject(token, { method: "POST", url, headers: json, payload });
}

describe("bulk cancel by selector", () => {
  const redis = useRedis();

  it("dry-run counts and shows ids without touching anything; then cancels each once, only the tenant's own", async () => {
    const h = await startHarness(redis);
    const mine = [await h.submit(), await h.submit()];
    const other = await h.submit(withLabels({ team: "search" }));
    const teamB = await h.submit(TEAM_B, TOKENS.teamB);

    const dry = await post(h, TOKENS.teamA, "/v1/bulk/cancel", { selector: "team=payments", state: "queued", dryRun: true });
    expect(dry.json<Answer>()).toMatchObject({ dryRun: true, matched: 2, done: 0, needsAll: false });
    expect(dry.json<Answer>().ids.sort()).toEqual(mine.map((b) => b.id).sort());
    expect((await h.store.get(mine[0]!.id))?.state).toBe("queued");

    const res = await post(h, TOKENS.teamA, "/v1/bulk/cancel", { selector: "team=payments", state: "queued" });
    expect(res.json<Answer>()).toMatchObject({ dryRun: false, matched: 2, done: 2, skipped: 0 });
    for (const b of mine) {
      const events = await h.store.events(b.id);
      expect(events.filter((e) => e.type === "build.cancelled").map((e) => e.data)).toEqual([{ buildId: b.id, by: "api:team-a", reason: "Selector" }]);
    }
    expect((await h.store.get(other.id))?.state).toBe("queued");
    expect((await h.store.get(teamB.id))?.state).toBe("queued");
    // Again: nothing left to match, nothing changes.
    expect((await post(h, TOKENS.teamA, "/v1/bulk/cancel", { selector: "team=payments", state: "queued" })).json<Answer>()).toMatchObject({ matched: 0, done: 0 });
    // A tenant may not name another tenant; an admin acts across tenants.
    expect((await post(h, TOKENS.teamA, "/v1/bulk/cancel", { selector: "team=payments", tenant: "team-b" })).statusCode).toBe(403);
    const admin = await post(h, TOKENS.admin, "/v1/bulk/cancel", { selector: "team=payments", state: "queued" });
    expect(admin.json<Answer>()).toMatchObject({ matched: 1, done: 1 });
    expect((await h.store.get(teamB.id))?.state).toBe("cancelled");
  });

  it("asks for all above the configured bound, and acts with it", async () => {
    const h = await startHarness(redis, { env: { BULK_MAX_WITHOUT_ALL: "2" } });
    for (let i = 0; i < 3; i++) await h.submit();

    const dry = await post(h, TOKENS.teamA, "/v1/bulk/cancel", { state: "queued", dryRun: true });
    expect(dry.json<Answer>()).toMatchObject({ matched: 3, needsAll: true, max: 2 });
    const refused = await post(h, TOKENS.teamA, "/v1/bulk/cancel", { state: "queued" });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error: { issues: [{ path: "all" }] } });
    expect(await h.queue.count()).toBe(3);

    expect((await post(h, TOKENS.teamA, "/v1/bulk/cancel", { state: "queued", all: true })).json<Answer>()).toMatchObject({ done: 3 });
    expect(await h.queue.count()).toBe(0);
  });

  it("refuses a body without selector or state, and a bad selector, naming the field", async () => {
    const h = await startHarness(redis);
    const empty = await post(h, TOKENS.teamA, "/v1/bulk/cancel", {});
    expect(empty.json()).toMatchObject({ error: { issues: [{ path: "selector" }] } });
    const bad = await post(h, TOKENS.teamA, "/v1/bulk/cancel", { selector: "team" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { issues: [{ path: "selector" }] } });
  });
});

describe("retry", () => {
  const redis = useRedis();

  it("resubmits a finished build as a new one recording retryOf, once however often it is asked", async () => {
    const h = await startHarness(redis);
    const first = await h.submit({ ...REQUEST, idempotencyKey: "release-1" });
    await h.finish(first.id, "failed");

    const res = await h.inject(TOKENS.teamA, { method: "POST", url: `/v1/builds/${first.id}/retry` });
    expect(res.statusCode).toBe(202);
    const retry = res.json<{ id: string; retryOf: string; state: string }>();
    expect(retry).toMatchObject({ retryOf: first.id, state: "queued" });
    expect(retry.id).not.toBe(first.id);
    const record = await h.store.get(retry.id);
    expect(record).toMatchObject({ retryOf: first.id, tenant: "team-a", request: { destinations: REQUEST.destinations } });

    const again = await h.inject(TOKENS.teamA, { method: "POST", url: `/v1/builds/${first.id}/retry` });
    expect(again.json()).toMatchObject({ id: retry.id, idempotent: true });
    expect((await h.inject(TOKENS.teamB, { method: "POST", url: `/v1/builds/${first.id}/retry` })).statusCode).toBe(404);
    expect((await h.inject(TOKENS.teamA, { method: "POST", url: `/v1/builds/${retry.id}/retry` })).statusCode).toBe(409);
  });

  it("retries the failed builds a selector matches; a repeat after a crash creates no second retry", async () => {
    const h = await startHarness(redis);
    const failed = [await h.submit(), await h.submit()];
    for (const b of failed) await h.finish(b.id, "failed");
    const ok = await h.submit();
    await h.finish(ok.id, "succeeded");

    // The harness finishes records without taking their queue entries: count entries before and after.
    const before = await h.queue.count();
    const dry = await post(h, TOKENS.teamA, "/v1/bulk/retry", { selector: "team=payments", dryRun: true });
    expect(dry.json<Answer>()).toMatchObject({ matched: 2, done: 0 });
    const res = await post(h, TOKENS.teamA, "/v1/bulk/retry", { selector: "team=payments", state: "failed" });
    expect(res.json<Answer>()).toMatchObject({ matched: 2, done: 2 });
    const queuedAfter = await h.queue.count();
    expect(queuedAfter).toBe(before + 2);
    await post(h, TOKENS.teamA, "/v1/bulk/retry", { selector: "team=payments", state: "failed" });
    expect(await h.queue.count()).toBe(queuedAfter);
    expect((await h.inject(TOKENS.readOnly, { method: "POST", url: "/v1/bulk/retry", headers: json, payload: { state: "failed" } })).statusCode).toBe(403);
  });
});
