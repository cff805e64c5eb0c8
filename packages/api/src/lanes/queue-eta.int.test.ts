import { LaneSlotStore, RecentDurations } from "@buildfleet/shared";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { REQUEST, TOKENS, startHarness } from "../test-support/harness.js";

describe("lanes: queue position and ETA", () => {
  const redis = useRedis();

  it("has a position but no ETA before any build of the lane finished", async () => {
    const h = await startHarness(redis);
    const res = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: REQUEST });
    expect(res.json()).toMatchObject({ queuePosition: 1, etaSeconds: null });
  });

  it("estimates from the lane's recent durations and the fleet's busy slots, in the submit answer and GET", async () => {
    // Read the fleet-wide inputs on every answer (the API reuses them for a second; QueueEstimator's test shows that).
    const h = await startHarness(redis, { timing: { etaSnapshotMs: 0 } });
    const slots = new LaneSlotStore(h.redis, h.ks);
    // A fleet of 4 slots, 1 reserved for interactive: normal builds share 3, all taken now.
    await slots.publish({ slots: 4, reserved: 1 }, 60_000);
    for (const id of ["r1", "r2", "r3"]) expect(await slots.acquire(id, 3, 60_000)).toBe(true);
    const durations = new RecentDurations(h.redis, h.ks);
    for (const ms of [60_000, 60_000, 90_000]) await durations.record("normal", ms);
    await durations.record("interactive", 600_000);

    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await h.submit()).id);
    const third = await h.inject(TOKENS.teamA, { method: "GET", url: `/v1/builds/${ids[2]}` });
    // Third in line on 3 busy slots of 60 s builds: a slot frees every 20 s.
    expect(third.json()).toMatchObject({ state: "queued", queuePosition: 3, etaSeconds: 60 });

    // One shared slot frees: the first in line starts now, the third waits for two more slots.
    await slots.release("r1");
    const first = await h.inject(TOKENS.teamA, { method: "GET", url: `/v1/builds/${ids[0]}` });
    expect(first.json()).toMatchObject({ queuePosition: 1, etaSeconds: 0 });
    expect((await h.inject(TOKENS.teamA, { method: "GET", url: `/v1/builds/${ids[2]}` })).json()).toMatchObject({ queuePosition: 3, etaSeconds: 40 });
  });

  it("answers null for a build that is running", async () => {
    const h = await startHarness(redis);
    const { id } = await h.submit();
    await h.markRunning(id);
    expect((await h.inject(TOKENS.teamA, { method: "GET", url: `/v1/builds/${id}` })).json()).toMatchObject({ queuePosition: null, etaSeconds: null });
  });

  it("answers position and ETA for a retried build, as for a submitted one", async () => {
    const h = await startHarness(redis);
    const slots = new LaneSlotStore(h.redis, h.ks);
    await slots.publish({ slots: 2, reserved: 0 }, 60_000);
    for (const id of ["r1", "r2"]) expect(await slots.acquire(id, 2, 60_000)).toBe(true);
    for (const ms of [30_000, 30_000]) await new RecentDurations(h.redis, h.ks).record("normal", ms);
    const failed = await h.submit();
    await h.finish(failed.id, "failed");
    // A worker took and finished it: its queue entry is gone.
    await h.queue.remove(failed.id);
    await h.submit();

    const res = await h.inject(TOKENS.teamA, { method: "POST", url: `/v1/builds/${failed.id}/retry` });
    expect(res.statusCode).toBe(202);
    // Second in line behind one queued build, on 2 busy slots of 30 s builds: a slot frees every 15 s.
    expect(res.json()).toMatchObject({ state: "queued", retryOf: failed.id, queuePosition: 2, etaSeconds: 30 });
  });
});
