import { useRedis } from "@buildfleet/testkit";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { BuildRecord, BuildRequest, newBuildId} from "../contract/index.js";
import { keyspace } from "../redis/keyspace.js";
import { BuildStore, type Transition } from "./build-store.js";
import { EventStream } from "./event-stream.js";

const request = BuildRequest.parse({
  context: { type: "inline", files: {} },
  dockerfile: { inline: "FROM busybox:latest\n" },
  destinations: ["registry.internal:5000/mirror/busybox:1.36", "registry.internal:5000/mirror/busybox:latest"],
});

function queuedRecord(id = newBuildId()): BuildRecord {
  const now = new Date().toISOString();
  return BuildRecord.parse({
    id,
    tenant: "team-a",
    state: "queued",
    request,
    labels: {},
    createdAt: now,
    updatedAt: now,
    sequence: 1,
  });
}

const started = (jobName: string): Transition => ({
  to: "starting",
  patch: () => ({ jobName }),
  event: { type: "build.started", data: (r) => ({ buildId: r.id, jobName, attempt: 1 }) },
});

const succeeded: Transition = {
  to: "succeeded",
  patch: () => ({ digest: `sha256:${"a".repeat(64)}` }),
  event: {
    type: "build.succeeded",
    data: (r) => ({ buildId: r.id, digest: r.digest ?? "", destinations: r.request.destinations, attempts: 1 }),
  },
};

describe("BuildStore", () => {
  const redis = useRedis();
  const store = (): BuildStore =>
    new BuildStore({ redis: redis.connection(), keyspace: keyspace(redis.prefix), source: "/test" });

  it("creates a queued build and publishes build.queued with sequence 1", async () => {
    const s = store();
    const record = queuedRecord();
    const res = await s.create(record);
    expect(res.created).toBe(true);

    expect(await s.get(record.id)).toMatchObject({ id: record.id, state: "queued", sequence: 1 });
    const history = await s.events(record.id);
    expect(history.map((e) => [e.type, e.sequence, e.id])).toEqual([["build.queued", 1, `${record.id}-1`]]);
    expect(history[0]).toMatchObject({ specversion: "1.0", subject: record.id, source: "/test" });
  });

  it("returns the first build for a repeated idempotency key, and creates nothing", async () => {
    const s = store();
    const first = queuedRecord();
    const again = queuedRecord();
    expect((await s.create(first, { idempotencyKey: "deploy-42" })).created).toBe(true);
    expect(await s.create(again, { idempotencyKey: "deploy-42" })).toEqual({ created: false, buildId: first.id });
    expect(await s.get(again.id)).toBeUndefined();
    const stream = new EventStream(redis.connection(), keyspace(redis.prefix));
    expect((await stream.after("0")).map((e) => e.event.subject)).toEqual([first.id]);
  });

  it("applies a transition once: a duplicate is a no-op and nothing leaves a terminal state", async () => {
    const s = store();
    const record = queuedRecord();
    await s.create(record);

    const first = await s.transition(record.id, started("b-x-1"));
    expect(first).toMatchObject({ applied: true, record: { state: "starting", jobName: "b-x-1", sequence: 2 } });
    expect(await s.transition(record.id, started("b-x-1"))).toMatchObject({ applied: false, why: "duplicate" });

    const done = await s.transition(record.id, succeeded);
    expect(done).toMatchObject({ applied: true, record: { state: "succeeded", sequence: 3 } });
    expect(done.record.finishedAt).toBeDefined();
    expect(await s.transition(record.id, started("b-x-1"))).toMatchObject({ applied: false, why: "not-allowed" });

    expect((await s.events(record.id)).map((e) => `${e.sequence}:${e.type}`)).toEqual([
      "1:build.queued",
      "2:build.started",
      "3:build.succeeded",
    ]);
  });

  it("publishes exactly one event when many writers race on the same transition", async () => {
    const record = queuedRecord();
    await store().create(record);
    // Separate connections, as separate worker processes would have.
    const writers = Array.from({ length: 8 }, () => store());
    const results = await Promise.all(writers.map((w) => w.transition(record.id, succeeded)));

    expect(results.filter((r) => r.applied)).toHaveLength(1);
    const types = (await store().events(record.id)).map((e) => e.type);
    expect(types).toEqual(["build.queued", "build.succeeded"]);
    const stream = new EventStream(redis.connection(), keyspace(redis.prefix));
    expect((await stream.after("0")).filter((e) => e.event.type === "build.succeeded")).toHaveLength(1);
  });

  it("accepts a second retry with a new key but not the same retry twice", async () => {
    const s = store();
    const record = queuedRecord();
    await s.create(record);
    const retry = (attempt: number): Transition => ({
      to: "retrying",
      key: `retrying:${attempt}`,
      event: { type: "build.retrying", data: (r) => ({ buildId: r.id, attempt, previous: { exitCode: 1 } }) },
    });
    expect((await s.transition(record.id, retry(2))).applied).toBe(true);
    expect((await s.transition(record.id, retry(2))).applied).toBe(false);
    expect((await s.transition(record.id, retry(3))).applied).toBe(true);
    expect((await s.events(record.id)).map((e) => e.sequence)).toEqual([1, 2, 3]);
  });

  it("carries what it wrote into the next transition: the result's `stored` is what a fresh read would return", async () => {
    const s = store();
    const record = queuedRecord();
    const created = await s.create(record);
    if (!created.created) throw new Error("not created");
    expect(created.stored).toMatchObject({ version: 1, eventSeq: 1, tkey: "queued" });

    const first = await s.transition(record.id, started("b-x-1"), { from: created.stored });
    expect(first.stored).toEqual(await s.snapshot(record.id));
    const done = await s.transition(record.id, succeeded, { from: first.stored });
    expect(done).toMatchObject({ applied: true, record: { state: "succeeded", sequence: 3 } });
    expect(done.stored).toEqual(await s.snapshot(record.id));
    expect(done.stored).toMatchObject({ version: 3, eventSeq: 3, tkey: "succeeded" });
    expect(await s.snapshot(newBuildId())).toBeUndefined();
  });

  it("never applies a stale `from`: the write is refused and the store decides again on a fresh read", async () => {
    const s = store();
    const other = store();
    const record = queuedRecord();
    await s.create(record);
    const stale = await s.snapshot(record.id);
    if (!stale) throw new Error("no snapshot");

    // Another writer moves the build on; our snapshot still says queued.
    await other.transition(record.id, started("b-x-1"));

    // Allowed either way: applied on top of the real state, with the next sequence number.
    const running: Transition = {
      to: "running",
      onlyFrom: ["starting"],
      event: { type: "build.running", data: (r) => ({ buildId: r.id, jobName: r.jobName ?? "", attempt: 1, podName: "b-x-1-abcde" }) },
    };
    // Not allowed from the stale state (onlyFrom starting), allowed from the real one.
    const res = await s.transition(record.id, running, { from: stale });
    expect(res).toMatchObject({ applied: true, record: { state: "running", jobName: "b-x-1", sequence: 3 } });

    // A duplicate judged on a stale snapshot is re-checked, not assumed.
    const dup = await s.transition(record.id, started("b-x-1"), { from: stale });
    expect(dup).toMatchObject({ applied: false, why: "not-allowed", record: { state: "running" } });

    expect((await s.events(record.id)).map((e) => `${e.sequence}:${e.type}`)).toEqual([
      "1:build.queued",
      "2:build.started",
      "3:build.running",
    ]);
  });

  it("updates record details without publishing an event", async () => {
    const s = store();
    const record = queuedRecord();
    await s.create(record);
    await s.patch(record.id, () => ({ attempts: [{ index: 1, podName: "p-1" }] }));
    expect((await s.get(record.id))?.attempts).toEqual([{ index: 1, podName: "p-1" }]);
    expect(await s.events(record.id)).toHaveLength(1);
  });

  it("discards a record that was never enqueued, with its idempotency key", async () => {
    const s = store();
    const record = queuedRecord();
    await s.create(record, { idempotencyKey: "k" });
    await s.discard(record.id, { tenant: record.tenant, key: "k" });
    expect(await s.get(record.id)).toBeUndefined();
    expect((await s.create(queuedRecord(), { idempotencyKey: "k" })).created).toBe(true);
  });

  it("reports a missing build as NOT_FOUND", async () => {
    await expect(store().transition(newBuildId(), succeeded)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("EventStream", () => {
  const redis = useRedis();

  it("redelivers unacknowledged events to a consumer group after a crash, and not after ack", async () => {
    const ks = keyspace(redis.prefix);
    const s = new BuildStore({ redis: redis.connection(), keyspace: ks, source: "/test" });
    const stream = new EventStream(redis.track(new Redis(redis.url, { maxRetriesPerRequest: null })), ks);
    await stream.ensureGroup("notifier", "0");
    await stream.ensureGroup("notifier", "0"); // idempotent
    const record = queuedRecord();
    await s.create(record);
    await s.transition(record.id, started("b-y-1"));

    const firstRead = await stream.readGroup("notifier", "c1", { blockMs: 1_000 });
    expect(firstRead.map((e) => e.event.type)).toEqual(["build.queued", "build.started"]);
    // "Crash": nothing acknowledged → the same consumer reads its pending entries again.
    const again = await stream.readGroup("notifier", "c1", { blockMs: 1_000 });
    expect(again.map((e) => e.id)).toEqual(firstRead.map((e) => e.id));

    expect(await stream.ack("notifier", again.map((e) => e.id))).toBe(2);
    expect(await stream.readGroup("notifier", "c1", { blockMs: 100 })).toEqual([]);
  });

  it("resumes after a given stream id and follows new events", async () => {
    const ks = keyspace(redis.prefix);
    const s = new BuildStore({ redis: redis.connection(), keyspace: ks, source: "/test" });
    const reader = new EventStream(redis.track(new Redis(redis.url, { maxRetriesPerRequest: null })), ks);
    const a = queuedRecord();
    const b = queuedRecord();
    await s.create(a);
    const cursor = (await reader.after("0")).at(-1)?.id ?? "0";
    await s.create(b);
    const next = (await reader.follow(cursor, { blockMs: 1_000 })).map((e) => e.event);
    expect(next.map((e) => e.subject)).toEqual([b.id]);
  });
});
