import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushVariant, realBuildsSkipReason, seedBusybox, startRegistry, type TestRegistry } from "@buildfleet/testkit";
import { RegistryError, headManifestDigest } from "./registry-head.js";

const skip = realBuildsSkipReason();
if (skip !== undefined) console.warn(`[registry-head tests] skipped: ${skip}`);

/** A fault proxy in front of the real registry: answers the first `faults` requests itself, forwards the rest. */
async function faultProxy(target: string, faults: { status: number; headers?: Record<string, string> }[]): Promise<{ host: string; server: Server; seen: number[]; extraHeaders: Record<string, string> }> {
  const seen: number[] = [];
  const extraHeaders: Record<string, string> = {};
  const server = createServer((req, res) => {
    const fault = faults.shift();
    if (fault !== undefined) {
      seen.push(fault.status);
      res.writeHead(fault.status, fault.headers ?? {}).end();
      return;
    }
    void fetch(`${target}${req.url ?? "/"}`, { method: req.method ?? "GET", headers: { accept: String(req.headers.accept ?? "") } }).then((up) => {
      seen.push(up.status);
      res.writeHead(up.status, { ...Object.fromEntries(up.headers), ...extraHeaders }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("no port");
  return { host: `127.0.0.1:${addr.port}`, server, seen, extraHeaders };
}

describe.skipIf(skip !== undefined)("headManifestDigest against the real registry", () => {
  let registry: TestRegistry;
  let authed: TestRegistry;
  let seeded: string;
  const user = { username: "mirror", password: "m1rror-pass" };
  const servers: Server[] = [];

  beforeAll(async () => {
    registry = await startRegistry({ ignoreEnv: true });
    authed = await startRegistry({ ignoreEnv: true, users: [user] });
    seeded = (await seedBusybox(registry)).digest;
    await seedBusybox(authed, { auth: user });
  }, 180_000);
  afterAll(async () => {
    for (const s of servers) s.close();
    await registry?.stop();
    await authed?.stop();
  });

  const ref = (host: string, tag = "latest") => ({ registry: host, repository: "library/busybox", tag });

  it("reads the digest the seed pushed, and a new one after the tag moves", async () => {
    expect(await headManifestDigest(ref(registry.host))).toBe(seeded);
    const moved = await pushVariant(registry.url, "library/busybox", "latest", "moving", "v2");
    expect(await headManifestDigest(ref(registry.host, "moving"))).toBe(moved);
    expect(moved).not.toBe(seeded);
  });

  it("answers the Basic challenge with the named credentials, and refuses without them", async () => {
    expect(await headManifestDigest(ref(authed.host), { credentials: user })).toMatch(/^sha256:/);
    await expect(headManifestDigest(ref(authed.host))).rejects.toThrow(/needs credentials/);
  });

  it("reports a tag that does not exist as a non-retryable 404", async () => {
    const err = await headManifestDigest(ref(registry.host, "nope")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).status).toBe(404);
    expect((err as RegistryError).retryable).toBe(false);
  });

  it("waits out a 429 for its Retry-After, then succeeds", async () => {
    const proxy = await faultProxy(registry.url, [{ status: 429, headers: { "retry-after": "7", "ratelimit-remaining": "0" } }]);
    servers.push(proxy.server);
    const waits: number[] = [];
    const holds: number[] = [];
    const digest = await headManifestDigest(ref(proxy.host), { sleep: async (ms) => void waits.push(ms), onRateLimited: async (ms) => void holds.push(ms) });
    expect(digest).toBe(seeded);
    expect(waits).toEqual([7_000]);
    expect(holds).toEqual([7_000]);
    expect(proxy.seen).toEqual([429, 200]);
  });

  it("reports ratelimit-remaining: 0 on a good answer so the host is held, and still returns the digest", async () => {
    const proxy = await faultProxy(registry.url, []);
    servers.push(proxy.server);
    const holds: number[] = [];
    const limited = await headManifestDigest(ref(proxy.host), { onRateLimited: async (ms) => void holds.push(ms) });
    expect(limited).toBe(seeded);
    expect(holds).toEqual([]);
    proxy.extraHeaders["ratelimit-remaining"] = "0;w=600";
    expect(await headManifestDigest(ref(proxy.host), { onRateLimited: async (ms) => void holds.push(ms) })).toBe(seeded);
    expect(holds).toEqual([600_000]);
  });

  it("retries a 5xx with backoff, then fails with the registry's answer", async () => {
    const proxy = await faultProxy(registry.url, [{ status: 503 }, { status: 503 }, { status: 503 }]);
    servers.push(proxy.server);
    const waits: number[] = [];
    const err = await headManifestDigest(ref(proxy.host), { maxAttempts: 3, sleep: async (ms) => void waits.push(ms) }).catch((e: unknown) => e);
    expect((err as RegistryError).message).toMatch(/answered 503 after 3 attempts/);
    expect(waits).toEqual([250, 500]);
  });
});
