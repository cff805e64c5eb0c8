import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { keyspace } from "../redis/keyspace.js";
import { REG, digest, planFanOut } from "../test-support/catalog.js";
import { CatalogStore } from "../catalog-store/catalog-store.js";
import { advance, applyOutcomes, startWave } from "../rebuilds/wave.js";
import { WaveStore, newWaveId, type BuildLink, type WaveDoc } from "./wave-store.js";

describe("WaveStore", () => {
  const redis = useRedis();

  async function newDoc(n: number): Promise<WaveDoc> {
    const catalog = new CatalogStore(redis.connection(), keyspace(redis.prefix));
    const plan = await planFanOut(catalog, n);
    const now = new Date().toISOString();
    return {
      id: newWaveId(),
      startedBy: "team",
      scope: "admin",
      trigger: { base: `${REG}/team/base:v1`, digest: digest(1) },
      priority: "bulk",
      createdAt: now,
      updatedAt: now,
      state: "running",
      version: 0,
      plan: plan,
      wave: startWave(plan, { maxInFlight: n }),
      builds: {},
      eventSeq: 0,
    };
  }

  const keyOf = (id: string) => `${keyspace(redis.prefix).bullPrefix}:rebuild:wave:${id}`;

  it("writes the plan once, with the wave's first write; later steps write only the state", async () => {
    const waves = new WaveStore(redis.connection(), keyspace(redis.prefix));
    const doc = await newDoc(3);
    const created = await waves.save(doc);
    const conn = redis.connection();
    // A marker in place of the plan's text (the same plan): a later step that rewrote the plan would replace it.
    const planText = await conn.get(`${keyOf(doc.id)}:plan`);
    expect(JSON.parse(planText!)).toEqual(doc.plan);
    await conn.set(`${keyOf(doc.id)}:plan`, ` ${planText!}`);

    const stepped = await waves.save({ ...created!, state: "succeeded" });
    const fresh = await new WaveStore(conn, keyspace(redis.prefix)).get(doc.id);
    const again = await new WaveStore(conn, keyspace(redis.prefix)).save(fresh!);

    expect(stepped?.version).toBe(2);
    expect(again?.version).toBe(3);
    expect(await conn.get(`${keyOf(doc.id)}:plan`)).toBe(` ${planText!}`);
    expect(JSON.parse((await conn.get(keyOf(doc.id)))!)).not.toHaveProperty("plan");
    expect(await conn.get(`${keyOf(doc.id)}:version`)).toBe("3");
    expect(fresh).toEqual({ ...stepped, plan: doc.plan });
  });

  it("reads back the state it wrote as the document a store that parses it reads", async () => {
    const conn = redis.connection();
    const waves = new WaveStore(conn, keyspace(redis.prefix));
    const doc = await newDoc(4);
    let saved = (await waves.save(doc))!;
    const queued = advance({ ...saved.wave, options: { ...saved.wave.options, maxInFlight: 2 } });
    saved = (await waves.save({ ...saved, wave: queued.wave, builds: { [queued.enqueue[0]!.id]: { buildId: "01jabcdefghjkmnpqrstvwxyz0", attempt: 1, pins: [] } }, reason: undefined }))!;
    const done = applyOutcomes(saved.wave, [{ id: queued.enqueue[0]!.id, attempt: 1, type: "succeeded", digest: digest(2) }]);
    saved = (await waves.save({ ...saved, wave: done.wave, state: "running" }))!;

    const { plan: _plan, ...state } = saved;
    expect(await conn.get(keyOf(doc.id))).toBe(JSON.stringify(state));
    // Read back by this store (from what it wrote) and by another (parsed): the same document.
    const mine = await waves.get(doc.id);
    expect(mine).toEqual(await new WaveStore(conn, keyspace(redis.prefix)).get(doc.id));
    expect(mine).toEqual(saved);
  });

  it("reads a state another writer changed since this store wrote it", async () => {
    const conn = redis.connection();
    const waves = new WaveStore(conn, keyspace(redis.prefix));
    const created = (await waves.save(await newDoc(2)))!;
    const other = new WaveStore(conn, keyspace(redis.prefix));
    await other.save({ ...(await other.get(created.id))!, state: "cancelled", cancelledBy: "team" });

    const read = await waves.get(created.id);

    expect(read?.version).toBe(2);
    expect(read?.state).toBe("cancelled");
  });

  it("refuses a write from a version that moved on, in this store and in another", async () => {
    const conn = redis.connection();
    const one = new WaveStore(conn, keyspace(redis.prefix));
    const other = new WaveStore(conn, keyspace(redis.prefix));
    const created = (await one.save(await newDoc(2)))!;
    const read = (await other.get(created.id))!;

    expect(await one.save(created)).toBeDefined();
    expect(await other.save(read)).toBeUndefined();
    expect(await one.save(created)).toBeUndefined();
    expect(await one.save({ ...created, version: 0 })).toBeUndefined();
    expect((await other.get(created.id))?.version).toBe(2);
  });

  it("reads a wave stored as one document (before the plan key), and its next write moves it to the plan key", async () => {
    const conn = redis.connection();
    const waves = new WaveStore(conn, keyspace(redis.prefix));
    const doc = { ...(await newDoc(2)), version: 4, eventSeq: 1 };
    // The previous layout: the whole document, plan included, under the wave key; no version key, no plan key.
    await conn.set(keyOf(doc.id), JSON.stringify(doc));
    await conn.sadd(`${keyspace(redis.prefix).bullPrefix}:rebuild:active`, doc.id);

    const read = await waves.get(doc.id);
    expect(read).toEqual(doc);
    expect(await waves.save({ ...read!, version: 3 })).toBeUndefined();
    const moved = await waves.save({ ...read!, state: "succeeded" });

    expect(moved?.version).toBe(5);
    expect(JSON.parse((await conn.get(`${keyOf(doc.id)}:plan`))!)).toEqual(doc.plan);
    expect(JSON.parse((await conn.get(keyOf(doc.id)))!)).not.toHaveProperty("plan");
    expect(await new WaveStore(conn, keyspace(redis.prefix)).get(doc.id)).toEqual({ ...doc, state: "succeeded", version: 5 });
    expect(await waves.active()).toEqual([]);
  });

  it("takes the version from the document when a process that predates the version key wrote the wave", async () => {
    const conn = redis.connection();
    const waves = new WaveStore(conn, keyspace(redis.prefix));
    const created = (await waves.save(await newDoc(2)))!;
    // The older process's write: the whole document, one version on, the version key left as it was.
    await conn.set(keyOf(created.id), JSON.stringify({ ...created, version: 2, eventSeq: 1 }));

    const read = (await waves.get(created.id))!;
    const written = await waves.save(read);

    expect(read.version).toBe(2);
    expect(written?.version).toBe(3);
    expect((await new WaveStore(conn, keyspace(redis.prefix)).get(created.id))?.version).toBe(3);
  });

  it("links every build of a write with thousands of links, and keeps where the wave's events begin", async () => {
    const conn = redis.connection();
    const waves = new WaveStore(conn, keyspace(redis.prefix));
    const doc = await newDoc(2);
    const created = (await waves.save(doc, [], [{ type: "rebuild.started", data: { waveId: doc.id, tenants: ["team"], nodes: 2, levels: 2, startedBy: "team" } }]))!;
    const first = await waves.firstEventId(doc.id);
    // More links than one HSET of the script takes (2,000 pairs).
    const links = Array.from({ length: 2_501 }, (_, i) => [`b${i}`, { waveId: doc.id, nodeId: `team/app-${i}`, attempt: 1 }] as [string, BuildLink]);
    const node = { waveId: doc.id, tenants: ["team"], node: "team/app-0", attempt: 1, digest: digest(2) };

    await waves.save(created, links, [{ type: "rebuild.node.succeeded", data: node }]);

    for (const i of [0, 1_999, 2_000, 2_500]) expect(await waves.link(`b${i}`)).toEqual(links[i]![1]);
    expect(await conn.hlen(`${keyspace(redis.prefix).bullPrefix}:rebuild:by-build`)).toBe(2_501);
    expect(first).toBeDefined();
    expect(await waves.firstEventId(doc.id)).toBe(first);
  });
});
