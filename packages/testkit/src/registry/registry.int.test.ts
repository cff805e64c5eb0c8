import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRegistry, type TestRegistry } from "./registry-server.js";
import { manifestDigest, readManifest } from "./registry-client.js";
import { seedBusybox } from "./seed-busybox.js";
import { realBuildsSkipReason } from "./tools.js";

const skip = realBuildsSkipReason();
if (skip !== undefined) console.warn(`[registry tests] skipped: ${skip}`);

describe.skipIf(skip !== undefined)("startRegistry with htpasswd users", () => {
  let registry: TestRegistry;
  const user = { username: "builder", password: "s3cret-pass" };

  beforeAll(async () => {
    registry = await startRegistry({ users: [user], ignoreEnv: true });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it("answers 401 without credentials and with wrong ones, 200 with the right ones", async () => {
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}` });
    expect((await fetch(`${registry.url}/v2/`)).status).toBe(401);
    expect((await fetch(`${registry.url}/v2/`, { headers: basic(user.username, "wrong") })).status).toBe(401);
    expect((await fetch(`${registry.url}/v2/`, { headers: basic(user.username, user.password) })).status).toBe(200);
  });

  it("seeds library/busybox under its version and latest, one digest, one layer holding busybox", async () => {
    const seeded = await seedBusybox(registry, { auth: user });
    expect(seeded.tags).toHaveLength(2);
    expect(seeded.tags[1]).toBe("latest");
    for (const tag of seeded.tags) expect(await manifestDigest(registry.url, "library/busybox", tag, user)).toBe(seeded.digest);
    const manifest = await readManifest(registry.url, "library/busybox", "latest", user);
    expect(manifest.layers).toHaveLength(1);
    // Seeding again keeps what is there.
    expect((await seedBusybox(registry, { auth: user })).digest).toBe(seeded.digest);
  });

  it("stops idempotently and frees the port", async () => {
    const other = await startRegistry({ ignoreEnv: true });
    await other.stop();
    await other.stop();
    await expect(fetch(`${other.url}/v2/`)).rejects.toThrow();
  });
});

describe("startRegistry without any way to get a registry", () => {
  it("fails with one error naming REGISTRY_URL, docker-registry and testcontainers", async () => {
    const err = await startRegistry({ env: {}, registryBin: "/nonexistent/docker-registry", tryContainer: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "TEST_REGISTRY_UNAVAILABLE" });
    const message = (err as Error).message;
    for (const part of ["REGISTRY_URL: not set", "docker-registry (/nonexistent/docker-registry): binary not found", "testcontainers registry:2: not tried"]) {
      expect(message).toContain(part);
    }
  });
});
