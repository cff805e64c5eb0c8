import { useRedis } from "@buildfleet/testkit";
import type { BuildEvent } from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import type { Resolution } from "./context-hosts.js";
import { hashToken, type TokenEntry } from "./tokens.js";
import { startHarness, type ApiHarness } from "../test-support/harness.js";
import { openStream } from "../test-support/stream-client.js";

/**
 * The tenant isolation matrix: three tenants, each with its own registry
 * prefix, Secret, PVC claim and context host. Every tenant tries every other
 * tenant's registry, Secret, claim and context host on submit, and every
 * other tenant's build on every build route — none succeeds, each refusal
 * names the field, and the other tenants' builds stay untouched.
 */

const TENANTS = ["alpha", "beta", "gamma"] as const;
type Tenant = (typeof TENANTS)[number];

const token = (t: Tenant): string => `token-matrix-${t}`;
const registry = (t: Tenant): string => `registry.internal:5000/${t}`;
const secret = (t: Tenant): string => `${t}-cred`;
const claim = (t: Tenant): string => `${t}-workspace`;
// A private address each tenant (alone) may fetch contexts from.
const contextHost = (t: Tenant): string => `git.${t}.internal`;
const HOST_ADDRESS: Record<string, string> = { "git.alpha.internal": "10.0.0.1", "git.beta.internal": "10.0.0.2", "git.gamma.internal": "10.0.0.3" };
const resolveHost = async (host: string): Promise<Resolution> => {
  const a = HOST_ADDRESS[host];
  return a ? { ok: true, addresses: [a] } : { ok: false, why: "ENOTFOUND" };
};

const ENTRIES: TokenEntry[] = TENANTS.map((t) => ({
  tokenSha256: hashToken(token(t)),
  tenant: t,
  scopes: ["submit", "read", "cancel"],
  registries: [registry(t)],
  secrets: [secret(t)],
  claims: [claim(t)],
  contextHosts: [contextHost(t)],
}));

/** A request of tenant `own` with one part taken from tenant `from`. */
function request(own: Tenant, from: Tenant = own, part?: "registry" | "secret" | "claim" | "contextHost" | "cache"): Record<string, unknown> {
  const pick = (p: typeof part): Tenant => (p === part ? from : own);
  return {
    context:
      part === "contextHost"
        ? { type: "git", url: `https://${contextHost(from)}/app.git` }
        : { type: "volume", claimName: claim(pick("claim")), path: "app" },
    destinations: [`${registry(pick("registry"))}/app:v1`],
    registryCredentials: { secretName: secret(pick("secret")) },
    ...(part === "cache" ? { cache: { enabled: true, repository: `${registry(from)}/cache` } } : {}),
  };
}

const SUBMIT_PARTS = [
  ["registry", "destinations[0]"],
  ["secret", "registryCredentials.secretName"],
  ["claim", "context.claimName"],
  ["contextHost", "context.url"],
  ["cache", "cache.repository"],
] as const;

const PAIRS = TENANTS.flatMap((actor) => TENANTS.filter((victim) => victim !== actor).map((victim) => [actor, victim] as const));

async function as(h: ApiHarness, t: Tenant, method: "GET" | "POST" | "DELETE", url: string, payload?: object) {
  return h.inject(token(t), { method, url, ...(payload ? { payload } : {}) });
}

describe("tenant isolation matrix (3 tenants)", () => {
  const redis = useRedis();

  it("each tenant submits with its own registry, Secret, claim and context host", async () => {
    const h = await startHarness(redis, { tokens: ENTRIES, resolveHost });
    for (const t of TENANTS) {
      await h.submit(request(t), token(t));
      await h.submit({ ...request(t), context: { type: "git", url: `https://${contextHost(t)}/app.git` } }, token(t));
    }
    for (const t of TENANTS) expect((await as(h, t, "GET", "/v1/builds")).json<{ items: unknown[] }>().items).toHaveLength(2);
  });

  it.each(PAIRS)("%s using %s's registry, Secret, claim, context host or cache: 403 naming the field, nothing written", async (actor, victim) => {
    const h = await startHarness(redis, { tokens: ENTRIES, resolveHost });
    for (const [part, field] of SUBMIT_PARTS) {
      const res = await as(h, actor, "POST", "/v1/builds", request(actor, victim, part));
      expect(res.statusCode, `${part}: ${res.body}`).toBe(403);
      const { error } = res.json<{ error: { code: string; message: string } }>();
      expect(error.code).toBe("FORBIDDEN");
      expect(error.message).toContain(field);
    }
    expect(await h.buildKeys()).toEqual([]);
  });

  it("no tenant reads, lists, cancels, follows or counts another tenant's builds", async () => {
    const h = await startHarness(redis, { tokens: ENTRIES, resolveHost });
    const ids = {} as Record<Tenant, string>;
    for (const t of TENANTS) ids[t] = (await h.submit(request(t), token(t))).id;

    for (const [actor, victim] of PAIRS) {
      const id = ids[victim];
      const tries = [
        await as(h, actor, "GET", `/v1/builds/${id}`),
        await as(h, actor, "GET", `/v1/builds/${id}/logs`),
        await as(h, actor, "POST", `/v1/builds/${id}/cancel`),
        await as(h, actor, "DELETE", `/v1/builds/${id}`),
        await as(h, actor, "GET", `/v1/events?buildId=${id}`),
      ];
      // The same 404 as for an id that does not exist: ids cannot be probed.
      for (const res of tries) expect(res.statusCode, `${actor} → ${victim}: ${res.body}`).toBe(404);
      const listed = await as(h, actor, "GET", "/v1/builds");
      expect(listed.json<{ items: { id: string }[] }>().items.map((b) => b.id)).toEqual([ids[actor]]);
      const otherList = await as(h, actor, "GET", `/v1/builds?tenant=${victim}`);
      expect(otherList.statusCode).toBe(403);
      const otherEvents = await as(h, actor, "GET", `/v1/events?tenant=${victim}`);
      expect(otherEvents.statusCode).toBe(403);
    }

    // /v1/queue counts only the caller's builds: one queued each, of three.
    for (const t of TENANTS) {
      const { counts } = (await as(h, t, "GET", "/v1/queue")).json<{ counts: Record<string, number> }>();
      expect((counts["prioritized"] ?? 0) + (counts["waiting"] ?? 0), JSON.stringify(counts)).toBe(1);
    }

    // Every build is still queued: none of the cancels above reached it.
    for (const t of TENANTS) expect((await h.store.get(ids[t]))?.state).toBe("queued");

    // The event stream, replayed from the start, carries only the caller's builds.
    const owned = Object.fromEntries(TENANTS.map((t) => [t, new Set([ids[t]])])) as Record<Tenant, Set<string>>;
    const base = await h.listen();
    for (const t of TENANTS) {
      const client = await openStream(`${base}/v1/events?since=0-0`, { authorization: `Bearer ${token(t)}` });
      expect(client.status).toBe(200);
      const subjects = (): string[] => client.events().map((e) => (JSON.parse(e.data) as BuildEvent).subject);
      // Another tenant's build moves, then one of the caller's is submitted: had the other's events been sent, they came first.
      const other = TENANTS[(TENANTS.indexOf(t) + 1) % TENANTS.length] ?? t;
      const moved = [...owned[other]].at(-1) ?? "";
      await h.markRunning(moved);
      await h.finish(moved);
      const own = (await h.submit({ ...request(t), labels: { n: String(owned[t].size) } }, token(t))).id;
      owned[t].add(own);
      await client.waitFor(() => subjects().includes(own));
      expect(subjects().filter((s) => !owned[t].has(s))).toEqual([]);
      await client.close();
    }
  });
});
