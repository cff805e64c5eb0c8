import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuildfleetClient } from "@buildfleet/sdk";
import { startLocalStack, type LocalStack } from "@buildfleet/dev";
import { createProducerConnection, waitForReady } from "@buildfleet/shared";
import { startRedisCluster, uniquePrefix, type TestRedisCluster } from "@buildfleet/testkit";

/**
 * API + worker + kubesim on a real 3-master Redis Cluster (Debian's
 * redis-server in cluster mode, created here). BullMQ's Lua scripts and our
 * MULTI blocks touch several keys at once; on a cluster they fail with
 * CROSSSLOT unless every key shares the prefix's {hash tag}. Runs in CI: CI
 * installs redis-server.
 */

let cluster: TestRedisCluster;
let stack: LocalStack;
let client: BuildfleetClient;
let stateDir: string;
const prefix = uniquePrefix();

beforeAll(async () => {
  cluster = await startRedisCluster();
  stateDir = await mkdtemp(join(tmpdir(), "buildfleet-e2e-cluster-"));
  stack = await startLocalStack({
    redisUrl: cluster.url,
    prefix,
    stateDir,
    writeEnvFile: false,
    logLevel: (process.env["TEST_LOG_LEVEL"] as "silent" | undefined) ?? "silent",
    registries: ["registry.internal:5000"],
  });
  client = new BuildfleetClient({ baseUrl: stack.url, token: stack.token });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await cluster?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe("on a 3-master Redis Cluster", () => {
  it("runs builds, a failure and an idempotent resubmit, with every key in one slot", async () => {
    const ok = await Promise.all(
      [1, 2, 3].map((i) =>
        client.submit({
          context: { type: "inline", files: { "a.txt": String(i) } },
          dockerfile: { inline: "FROM busybox:latest\nCOPY a.txt /" },
          destinations: [`registry.internal:5000/cluster/ok-${i}:v1`],
          idempotencyKey: `cluster-ok-${i}`,
        }),
      ),
    );
    const again = await client.submit({
      context: { type: "inline", files: { "a.txt": "1" } },
      dockerfile: { inline: "FROM busybox:latest\nCOPY a.txt /" },
      destinations: ["registry.internal:5000/cluster/ok-1:v1"],
      idempotencyKey: "cluster-ok-1",
    });
    expect(again).toMatchObject({ id: ok[0]!.id, idempotent: true });
    const failing = await client.submit({
      context: { type: "inline", files: {} },
      dockerfile: { inline: "FROM busybox:latest" },
      destinations: ["registry.internal:5000/fail/cluster:v1"],
      retries: 0,
    });
    const done = await Promise.all(ok.map((s) => client.waitFor(s.id, { timeout: 45_000 })));
    for (const b of done) expect(b.state).toBe("succeeded");
    const failed = await client.waitFor(failing.id, { timeout: 45_000 }).catch((e: unknown) => e);
    expect((failed as { build?: { state?: string } }).build?.state).toBe("failed");
    const listed = await client.list({ limit: 50 });
    expect(listed.items.map((b) => b.id)).toEqual(expect.arrayContaining([...ok.map((s) => s.id), failing.id]));

    // Every key the fleet wrote, found on whichever master holds it, hashes to one slot.
    const keys: string[] = [];
    const mastersWithKeys: number[] = [];
    for (const port of cluster.ports) {
      // A plain connection to one master: SCAN sees only that node's keys.
      const node = createProducerConnection(`redis://127.0.0.1:${port}`);
      try {
        await waitForReady(node, 5_000);
        const found: string[] = [];
        let cursor = "0";
        do {
          const [next, batch] = await node.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
          cursor = next;
          found.push(...batch);
        } while (cursor !== "0");
        if (found.length > 0) mastersWithKeys.push(port);
        keys.push(...found);
        const slots = new Set(await Promise.all(found.map((k) => node.cluster("KEYSLOT", k))));
        expect(slots.size).toBeLessThanOrEqual(1);
      } finally {
        node.disconnect();
      }
    }
    expect(keys.length).toBeGreaterThan(5);
    expect(keys.some((k) => k.includes(":builds:"))).toBe(true);
    expect(mastersWithKeys).toHaveLength(1);
  }, 120_000);
});
