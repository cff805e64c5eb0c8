import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisCluster, uniquePrefix, type TestRedisCluster } from "@buildfleet/testkit";
import { createProducerConnection, createWorkerConnection, waitForReady, type Redis } from "./connections.js";

// A real 3-master Redis Cluster (Debian's redis-server; CI installs it, so this runs there).
let cluster: TestRedisCluster;
const open: Redis[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);

afterAll(async () => {
  for (const c of open) c.disconnect();
  await cluster?.stop();
});

describe("redis+cluster:// connections", () => {
  it("are ioredis Cluster clients for both factories", async () => {
    const worker = createWorkerConnection(cluster.url);
    const producer = createProducerConnection(cluster.url);
    open.push(worker, producer);
    await waitForReady(worker);
    await waitForReady(producer);
    expect(worker).toBeInstanceOf(Cluster);
    expect(producer).toBeInstanceOf(Cluster);
  });

  it("run multi-key transactions and scripts inside one {hash tag}, and refuse them across slots", async () => {
    const conn = createWorkerConnection(cluster.url);
    open.push(conn);
    await waitForReady(conn);
    const p = uniquePrefix();
    const res = await conn.multi().set(`${p}:a`, "1").set(`${p}:b`, "2").exec();
    expect(res?.map(([err]) => err)).toEqual([null, null]);
    expect(await conn.eval("return redis.call('MGET', KEYS[1], KEYS[2])", 2, `${p}:a`, `${p}:b`)).toEqual(["1", "2"]);
    // Without a shared tag the same script meets CROSSSLOT: what the prefix's {tag} prevents.
    await expect(conn.eval("return redis.call('MGET', KEYS[1], KEYS[2])", 2, "untagged-a", "untagged-b")).rejects.toThrow(/CROSSSLOT/);
  });
});
