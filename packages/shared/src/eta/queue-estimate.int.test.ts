import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { LaneSlotStore } from "../admission/lane-slots.js";
import { keyspace } from "../redis/keyspace.js";
import { QueueEstimator } from "./queue-estimate.js";
import { RecentDurations } from "./recent-durations.js";

describe("QueueEstimator", () => {
  const redis = useRedis();

  it("reads the lane's fleet-wide inputs once per snapshot window, the position on every call", async () => {
    const ks = keyspace(redis.prefix);
    const conn = redis.connection();
    const positions = new Map([["b1", 1], ["b2", 2]]);
    const estimator = new QueueEstimator({ position: async (id) => positions.get(id) }, conn, ks, { snapshotMs: 1000 });
    const slots = new LaneSlotStore(conn, ks);
    await slots.publish({ slots: 2, reserved: 0 }, 60_000);
    for (const id of ["r1", "r2"]) expect(await slots.acquire(id, 2, 60_000)).toBe(true);
    for (const ms of [30_000, 30_000]) await new RecentDurations(conn, ks).record("normal", ms);

    const t0 = Date.now();
    // Two busy slots of 30 s builds: one frees every 15 s.
    expect(await estimator.estimate("b1", "normal", t0)).toEqual({ queuePosition: 1, etaSeconds: 15 });
    await slots.release("r1");
    positions.set("b2", 1);
    // Inside the window: the position is new, the load is the snapshot's (both slots busy).
    expect(await estimator.estimate("b2", "normal", t0 + 999)).toEqual({ queuePosition: 1, etaSeconds: 15 });
    // Once it is a window old, the load is read again: a slot is free, the first in line starts now.
    expect(await estimator.estimate("b2", "normal", t0 + 1000)).toEqual({ queuePosition: 1, etaSeconds: 0 });
    expect(await estimator.estimate("gone", "normal", t0 + 1000)).toEqual({ queuePosition: undefined, etaSeconds: undefined });
  });

  it("with snapshotMs 0 reads the load on every call", async () => {
    const ks = keyspace(redis.prefix);
    const conn = redis.connection();
    const estimator = new QueueEstimator({ position: async () => 1 }, conn, ks, { snapshotMs: 0 });
    const slots = new LaneSlotStore(conn, ks);
    await slots.publish({ slots: 1, reserved: 0 }, 60_000);
    expect(await slots.acquire("r1", 1, 60_000)).toBe(true);
    await new RecentDurations(conn, ks).record("normal", 20_000);
    const now = Date.now();
    expect(await estimator.estimate("b", "normal", now)).toEqual({ queuePosition: 1, etaSeconds: 20 });
    await slots.release("r1");
    expect(await estimator.estimate("b", "normal", now)).toEqual({ queuePosition: 1, etaSeconds: 0 });
  });
});
