import { Queue } from "bullmq";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { BuildStore } from "../builds/build-store.js";
import { CatalogStore } from "../catalog-store/catalog-store.js";
import { keyspace } from "../redis/keyspace.js";
import { REG, digest, planFanOut } from "../test-support/catalog.js";
import { advance, startWave } from "../rebuilds/wave.js";
import { submitLevel } from "./submit-level.js";
import type { WaveDoc } from "./wave-store.js";

describe("submitLevel", () => {
  const redis = useRedis();

  async function level(n: number) {
    const ks = keyspace(redis.prefix);
    const conn = redis.connection();
    const catalog = new CatalogStore(conn, ks);
    const plan = await planFanOut(catalog, n);
    const step = advance(startWave(plan, { maxInFlight: n }));
    const doc = { id: "rw-test0001", createdAt: new Date().toISOString(), priority: "bulk", plan: plan } as WaveDoc;
    const queue = redis.track(new Queue(ks.buildQueue, { connection: conn, prefix: ks.bullPrefix }));
    const deps = { store: new BuildStore({ redis: conn, keyspace: ks, source: "/test" }), queue, redis: conn, ks, catalog };
    return { deps, doc, wave: step.wave, nodes: step.enqueue, queue };
  }

  it("submits each node pinned to its parent's digest, and a repeated step (a restart) enqueues nothing twice", async () => {
    const { deps, doc, wave, nodes, queue } = await level(30);

    const first = await submitLevel(deps, doc, wave, nodes);
    const again = await submitLevel(deps, doc, wave, nodes);
    expect(first.every((r) => r.ok)).toBe(true);
    expect(again).toEqual(first);
    expect(await queue.count()).toBe(30);

    // A crash after the queue add and before the records: the entries are there, no record, no key.
    for (const [i, node] of nodes.entries()) {
      const res = first[i]!;
      if (res.ok) await deps.store.discard(res.build.buildId, { tenant: "team", key: `rebuild.${doc.id}.${wave.index[node.id]}.${node.attempt}` });
    }
    const restarted = await submitLevel(deps, doc, wave, nodes);
    expect(restarted).toEqual(first);
    expect(await queue.count()).toBe(30);
    const build = first[0]!.ok ? first[0]!.build : undefined;
    const record = await deps.store.get(build!.buildId);
    expect("inline" in record!.request.dockerfile && record!.request.dockerfile.inline).toBe(`FROM ${REG}/team/base:v1@${digest(1)}\nRUN true\n`);
    expect(record!.request.priority).toBe("bulk");
    expect((await deps.store.events(build!.buildId)).map((e) => e.type)).toEqual(["build.queued"]);
  });

  it("gives a level of several parts its fair-share places in node order, as one batch would", async () => {
    const { deps, doc, wave, nodes, queue } = await level(300);

    const results = await submitLevel(deps, doc, wave, nodes);

    expect(results.every((r) => r.ok)).toBe(true);
    const ids = results.map((r) => (r.ok ? r.build.buildId : ""));
    expect((await queue.getPrioritized()).map((job) => job.id)).toEqual(ids);
    expect(new Set((await queue.getPrioritized()).map((job) => job.priority)).size).toBe(300);
  });

  it("fails only the node whose image was deleted after the wave started", async () => {
    const { deps, doc, wave, nodes, queue } = await level(3);
    await deps.catalog.delete("team", "app-1");

    const results = await submitLevel(deps, doc, wave, nodes);

    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(!results[1]!.ok && results[1]!.reason).toContain("was deleted from the catalog");
    expect(await queue.count()).toBe(2);
  });
});
