import { LaneSlotStore, createWorkerRegistry, pauseQueue, readQueueStatus, resumeQueue, startDrain, type FleetQueueDeps } from "@buildfleet/shared";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { startStack, volumeRequest } from "../test-support/stack.js";

/** MODE=long builds run about 30 s (kubesim at 100×): they hold their slots for the whole test. */
const LONG = { kubesim: { scenario: [{ match: { args: "long" }, attempts: [{ succeed: { afterMs: 3_000_000 } }] }] } };

describe("lanes: reserved interactive slots against a bulk flood", () => {
  const redis = useRedis();

  it("starts an interactive build in its reserved slot while a bulk wave fills every other slot", async () => {
    const stack = await startStack(redis, { ...LONG, env: { WORKER_CONCURRENCY: "3", LANE_RESERVED_INTERACTIVE: "1" } });
    const worker = await stack.startWorker();
    const bulk = [];
    for (let i = 0; i < 12; i++) bulk.push(await stack.submit(volumeRequest({ priority: "bulk", buildArgs: { MODE: "long" } }), "platform"));
    await expect.poll(() => worker.worker.runningByLane().bulk, { timeout: 15_000 }).toBe(2);

    const interactive = await stack.submit(volumeRequest({ priority: "interactive", buildArgs: { MODE: "long" } }), "team-b");
    await stack.waitForEvent(interactive.id, (e) => e.type === "build.running", 20_000);

    // The bulk wave never took the reserved slot, and is still mostly waiting.
    expect(worker.worker.runningByLane()).toEqual({ interactive: 1, normal: 0, bulk: 2 });
    const states = await Promise.all(bulk.map(async (b) => (await stack.store.get(b.id))?.state));
    expect(states.filter((s) => s === "queued").length).toBe(10);
    // Handing entries back used no attempt and lost none.
    const counts = await stack.queue.getJobCounts("prioritized", "wait", "active", "failed");
    expect((counts["prioritized"] ?? 0) + (counts["wait"] ?? 0) + (counts["active"] ?? 0)).toBe(13);
    expect(counts["failed"]).toBe(0);
  });

  it("keeps the reservation as a share of the fleet's slots across two workers, not of each worker's", async () => {
    // 2 workers × 2 slots, 25 % reserved: per worker that would round to 0 (bulk on all 4 slots);
    // of the fleet's 4 slots it is 1, so bulk builds hold at most 3 slots between the two workers.
    const stack = await startStack(redis, { ...LONG, env: { WORKER_CONCURRENCY: "2", LANE_RESERVED_INTERACTIVE: "25%" } });
    const w1 = await stack.startWorker({ workerId: "w1" });
    const w2 = await stack.startWorker({ workerId: "w2" });
    const registry = createWorkerRegistry(redis.connection(), stack.ks);
    await expect.poll(async () => (await registry.list(Date.now())).length, { timeout: 10_000 }).toBe(2);
    const bulk: { id: string }[] = [];
    for (let i = 0; i < 10; i++) bulk.push(await stack.submit(volumeRequest({ priority: "bulk", buildArgs: { MODE: "long" } }), "platform"));
    // Started builds by their records (a worker's local count also holds a build it is about to hand back).
    const bulkStarted = async (): Promise<number> => (await Promise.all(bulk.map((b) => stack.store.get(b.id)))).filter((r) => r?.state !== "queued").length;
    const slots = new LaneSlotStore(redis.connection(), stack.ks);
    await expect.poll(bulkStarted, { timeout: 15_000 }).toBe(3);
    // Bounded sampling: 10 samples, 200 ms apart; the fourth slot stays free for interactive builds.
    for (let i = 0; i < 10; i++) {
      expect(await bulkStarted()).toBeLessThanOrEqual(3);
      expect(await slots.sharedRunning()).toBeLessThanOrEqual(3);
      await new Promise((r) => setTimeout(r, 200));
    }

    const interactive = await stack.submit(volumeRequest({ priority: "interactive", buildArgs: { MODE: "long" } }), "team-b");
    await stack.waitForEvent(interactive.id, (e) => e.type === "build.running", 20_000);
    expect(await bulkStarted()).toBe(3);
    expect(await slots.sharedRunning()).toBe(3);
    expect(w1.worker.runningByLane().interactive + w2.worker.runningByLane().interactive).toBe(1);
    expect(await slots.fleet()).toEqual({ slots: 4, reserved: 1 });
  });

  it("pause and drain cover every lane: nothing starts while paused, --cancel-queued cancels each lane's builds once", async () => {
    const stack = await startStack(redis, { env: { WORKER_CONCURRENCY: "3", LANE_RESERVED_INTERACTIVE: "1" } });
    const deps: FleetQueueDeps = { redis: redis.connection(), ks: stack.ks, queue: stack.queues, store: stack.store };
    await pauseQueue(deps);
    await stack.startWorker();
    const builds = [];
    for (const priority of ["interactive", "normal", "bulk", "bulk", "interactive"] as const) builds.push(await stack.submit(volumeRequest({ priority }), `t-${priority}`));
    expect((await readQueueStatus(deps)).queued).toBe(5);
    const drain = await startDrain(deps, { by: "test", cancelQueued: true, rejectNew: false });
    expect(drain.cancelled).toBe(5);
    for (const b of builds) {
      expect((await stack.store.get(b.id))?.state).toBe("cancelled");
      expect((await stack.store.events(b.id)).filter((e) => e.type === "build.cancelled")).toHaveLength(1);
    }
    expect((await readQueueStatus(deps)).queued).toBe(0);
    await resumeQueue(deps);
    const after = await stack.submit(volumeRequest({ priority: "bulk" }), "t-bulk");
    expect((await stack.waitForTerminal(after.id, 20_000)).state).toBe("succeeded");
  });
});
