import { describe, expect, it } from "vitest";
import { bandScores } from "@buildfleet/shared";
import { PRIORITIES } from "@buildfleet/contract";
import { cachedReader, readQueueDepth, type QueueReader } from "./queue-depth.js";

describe("readQueueDepth", () => {
  it("adds BullMQ's waiting and prioritized into waiting and maps priorities to lanes", async () => {
    const queue: QueueReader = {
      counts: () => Promise.resolve({ waiting: 1, prioritized: 4, active: 2, delayed: 3, completed: 9, failed: 9 }),
      isPaused: () => Promise.resolve(true),
    };
    const bands = new Map(PRIORITIES.map((lane, i) => [bandScores(lane)[0], 10 ** i]));
    expect(await readQueueDepth(queue, (lo) => Promise.resolve(bands.get(lo) ?? -1))).toEqual({
      jobs: { waiting: 5, active: 2, delayed: 3 },
      waitingByLane: { interactive: 1, normal: 10, bulk: 100 },
      paused: true,
    });
  });
});

describe("cachedReader", () => {
  it("shares one read within the cache time and reads again after it", async () => {
    let t = 0;
    let reads = 0;
    const read = cachedReader(() => Promise.resolve(++reads), 5_000, () => t);
    expect([await read(), await read()]).toEqual([1, 1]);
    t = 5_000;
    expect(await read()).toBe(2);
  });

  it("does not keep a failed read", async () => {
    let fail = true;
    const read = cachedReader(() => (fail ? Promise.reject(new Error("down")) : Promise.resolve("ok")), 60_000, () => 0);
    await expect(read()).rejects.toThrow("down");
    fail = false;
    expect(await read()).toBe("ok");
  });
});
