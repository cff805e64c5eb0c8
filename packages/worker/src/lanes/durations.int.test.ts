import { LaneSlotStore, RecentDurations, keyspace } from "@buildfleet/shared";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { startStack, volumeRequest } from "../test-support/stack.js";

describe("lanes: recent build durations for the ETA", () => {
  const redis = useRedis();

  it("records each finished build's slot-holding time in its lane's window, and publishes the fleet's slots", async () => {
    const stack = await startStack(redis, { env: { WORKER_CONCURRENCY: "4", LANE_RESERVED_INTERACTIVE: "25%" } });
    await stack.startWorker();
    const bulk = await stack.submit(volumeRequest({ priority: "bulk" }), "platform");
    const interactive = await stack.submit(volumeRequest({ priority: "interactive" }), "team-b");
    expect((await stack.waitForTerminal(bulk.id, 20_000)).state).toBe("succeeded");
    expect((await stack.waitForTerminal(interactive.id, 20_000)).state).toBe("succeeded");

    const durations = new RecentDurations(redis.connection(), stack.ks);
    // kubesim runs a build for 200 ms after a 1 s start delay at 100×: the slot is held longer than that.
    await expect.poll(async () => (await durations.recent("bulk")).length, { timeout: 5_000 }).toBe(1);
    expect((await durations.recent("bulk"))[0]).toBeGreaterThan(200);
    expect(await durations.recent("interactive")).toHaveLength(1);
    expect(await durations.recent("normal")).toEqual([]);
    expect(await new LaneSlotStore(redis.connection(), stack.ks).fleet()).toEqual({ slots: 4, reserved: 1 });
    // The finished bulk build gave its shared slot back.
    expect(await new LaneSlotStore(redis.connection(), stack.ks).sharedRunning()).toBe(0);
  });

  it("keeps only the newest builds of a lane", async () => {
    const durations = new RecentDurations(redis.connection(), keyspace(redis.prefix), 3);
    for (const ms of [1, 2, 3, 4, 5]) await durations.record("normal", ms);
    expect(await durations.recent("normal")).toEqual([5, 4, 3]);
  });
});
