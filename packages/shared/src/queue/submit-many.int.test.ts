import { Queue } from "bullmq";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { BuildStore } from "../builds/build-store.js";
import { FairShare } from "../admission/fair-share.js";
import { keyspace } from "../redis/keyspace.js";
import { IdempotencyKeyReusedError, ValidationError } from "../errors/index.js";
import { newBuildId, parseBuildRequest, type QueuedBuild } from "../contract/index.js";
import { submitBuilds, type SubmitManyDeps, type SubmitManyItem } from "./submit-many.js";
import { BUILD_JOB_NAME, buildJobOptions } from "./build-queue.js";

const request = (i: number) =>
  parseBuildRequest(
    {
      context: { type: "inline", files: {} },
      dockerfile: { inline: "FROM busybox:1.36\n" },
      destinations: [`registry.internal:5000/team/app-${i}:v1.0.0`],
      priority: "bulk",
    },
    { tagPolicy: "require-versioned" },
  );

const items = (n: number, key = (i: number) => `wave.${i}`): SubmitManyItem[] =>
  Array.from({ length: n }, (_, i) => ({ tenant: i % 2 === 0 ? "team-a" : "team-b", request: request(i), idempotencyKey: key(i), buildId: newBuildId() }));

describe("submitBuilds", () => {
  const redis = useRedis();
  const deps = (): SubmitManyDeps & { queue: Queue; store: BuildStore } => {
    const ks = keyspace(redis.prefix);
    const conn = redis.connection();
    return {
      store: new BuildStore({ redis: conn, keyspace: ks, source: "/test" }),
      queue: redis.track(new Queue(ks.buildQueue, { connection: conn, prefix: ks.bullPrefix })),
      fairShare: new FairShare(conn, ks),
    };
  };

  it("queues and records every build of the batch under its own id, each with one build.queued", async () => {
    const d = deps();
    const batch = items(250);
    const results = await submitBuilds(d, batch);

    expect(results.every((r) => r.ok && r.created)).toBe(true);
    expect(await d.queue.count()).toBe(250);
    const job = await d.queue.getJob(batch[7]!.buildId);
    expect((job?.data as QueuedBuild).tenant).toBe("team-b");
    const record = await d.store.get(batch[7]!.buildId);
    expect(record).toMatchObject({ state: "queued", tenant: "team-b" });
    expect((await d.store.events(batch[7]!.buildId)).map((e) => e.type)).toEqual(["build.queued"]);
    expect(await d.store.findByIdempotencyKey("team-b", "wave.7")).toBe(batch[7]!.buildId);
  });

  it("answers a repeated batch with the first builds and enqueues nothing more", async () => {
    const d = deps();
    const batch = items(20);
    await submitBuilds(d, batch);
    // A repeat with new ids for the same keys (a caller that does not derive ids from keys).
    const again = await submitBuilds(d, batch.map((item) => ({ ...item, buildId: newBuildId() })));

    expect(again.map((r) => (r.ok ? { id: r.buildId, created: r.created } : r))).toEqual(batch.map((item) => ({ id: item.buildId, created: false })));
    expect(await d.queue.count()).toBe(20);
  });

  it("finishes a batch interrupted after the queue add without a second entry", async () => {
    const d = deps();
    const batch = items(10);
    // What a crash after addBulk leaves: the entries (one already taken and recorded by a worker), no records, no keys.
    await d.queue.addBulk(
      batch.map((item) => {
        const build: QueuedBuild = { buildId: item.buildId, tenant: item.tenant, request: item.request, submittedAt: new Date().toISOString() };
        return { name: BUILD_JOB_NAME, data: build, opts: buildJobOptions(build) };
      }),
    );
    const taken = batch[3]!;
    const job = await d.queue.getJob(taken.buildId);
    await job!.remove();
    await d.store.create({
      id: taken.buildId,
      tenant: taken.tenant,
      state: "queued",
      request: taken.request,
      attempts: [],
      labels: {},
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      sequence: 1,
    });

    const results = await submitBuilds(d, batch);

    expect(results.map((r) => r.ok && r.buildId)).toEqual(batch.map((item) => item.buildId));
    // Nine entries: the one a worker took (and whose entry is gone) is not added again.
    expect(await d.queue.count()).toBe(9);
    expect(await d.queue.getJob(taken.buildId)).toBeUndefined();
    expect(await d.store.findByIdempotencyKey(taken.tenant, taken.idempotencyKey)).toBe(taken.buildId);
    for (const item of batch) expect((await d.store.events(item.buildId)).map((e) => e.type)).toEqual(["build.queued"]);
  });

  it("refuses only the items whose key was used for another request", async () => {
    const d = deps();
    const batch = items(3);
    await submitBuilds(d, [batch[1]!]);
    const changed = [batch[0]!, { ...batch[1]!, buildId: newBuildId(), request: request(99) }, batch[2]!];

    const results = await submitBuilds(d, changed);

    expect(results[0]).toMatchObject({ ok: true, created: true });
    expect(results[1]).toMatchObject({ ok: false });
    expect(!results[1]!.ok && results[1]!.error).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(results[2]).toMatchObject({ ok: true, created: true });
    expect(await d.queue.count()).toBe(3);
  });

  it("refuses an item whose tenant or wave origin does not check, before anything of it is queued or recorded", async () => {
    const d = deps();
    const [good, badTenant, badOrigin] = items(3);
    const batch = [good!, { ...badTenant!, tenant: "no/such tenant" }, { ...badOrigin!, rebuild: { waveId: "rw-lq3c0a1b2c3d4e5f", nodeId: "team-a/app", attempt: 0, builtFrom: {} } }];

    const results = await submitBuilds(d, batch);

    expect(results[0]).toMatchObject({ ok: true, created: true });
    for (const r of results.slice(1)) expect(!r.ok && r.error).toBeInstanceOf(ValidationError);
    expect(await d.queue.count()).toBe(1);
    expect(await d.store.get(badTenant!.buildId)).toBeUndefined();
    expect(await d.store.get(badOrigin!.buildId)).toBeUndefined();
  });

  it("writes a batch of several chunks in full; a chunk whose entries fail fails the call once the others are in, and the repeat finishes it", async () => {
    const d = deps();
    const batch = items(600);
    // The second chunk's queue add fails once (Redis refused it, say); the first and third go through.
    let adds = 0;
    const queue: SubmitManyDeps["queue"] = {
      addBulk: async (jobs) => {
        adds += 1;
        if (adds === 2) throw new Error("connection lost during the add");
        return d.queue.addBulk(jobs);
      },
      remove: (id) => d.queue.remove(id),
    };

    await expect(submitBuilds({ ...d, queue }, batch)).rejects.toThrow("connection lost");
    expect(await d.queue.count()).toBe(350);
    expect(await d.store.get(batch[0]!.buildId)).toMatchObject({ state: "queued" });
    expect(await d.store.get(batch[300]!.buildId)).toBeUndefined();
    expect(await d.store.get(batch[599]!.buildId)).toMatchObject({ state: "queued" });

    const results = await submitBuilds({ ...d, queue }, batch);
    expect(results.map((r) => r.ok && r.buildId)).toEqual(batch.map((item) => item.buildId));
    expect(await d.queue.count()).toBe(600);
    for (const i of [0, 300, 599]) expect((await d.store.events(batch[i]!.buildId)).map((e) => e.type)).toEqual(["build.queued"]);
  });

  it("places builds by the fair-share tags their caller took, without taking others", async () => {
    const d = deps();
    const batch = items(3).map((item, i) => ({ ...item, tenant: "team-a", tag: 30 - 10 * i }));
    await submitBuilds(d, batch);

    const order = (await d.queue.getPrioritized()).map((job) => job.id);
    expect(order).toEqual([...batch].reverse().map((item) => item.buildId));
    // The tenant's own fair-share place was not moved by them.
    const first = async (prefix: string) => new FairShare(redis.connection(), keyspace(prefix)).priorities("bulk", [{ tenant: "team-a" }]);
    expect(await first(redis.prefix)).toEqual(await first(`${redis.prefix}-fresh`));
  });

  it("keeps no request hash under a system key: a repeat with another request answers the build the first one queued", async () => {
    const d = deps();
    const [item] = items(1).map((i) => ({ ...i, systemKey: true }));
    await submitBuilds(d, [item!]);

    const again = await submitBuilds(d, [{ ...item!, buildId: newBuildId(), request: request(99) }]);
    expect(again).toEqual([{ ok: true, buildId: item!.buildId, created: false }]);
    expect(await d.queue.count()).toBe(1);
  });

  it("gives the builds of two tenants interleaved fair-share places, as one-by-one submits would", async () => {
    const d = deps();
    const batch = [...items(4, (i) => `a.${i}`).map((i) => ({ ...i, tenant: "team-a" })), ...items(2, (i) => `b.${i}`).map((i) => ({ ...i, tenant: "team-b" }))];
    await submitBuilds(d, batch);

    const order = (await d.queue.getPrioritized()).map((job) => (job.data as QueuedBuild).tenant);
    expect(order).toEqual(["team-a", "team-b", "team-a", "team-b", "team-a", "team-a"]);
  });
});
