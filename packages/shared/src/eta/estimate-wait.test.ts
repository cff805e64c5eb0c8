import { describe, expect, it } from "vitest";
import { estimateWaitSeconds, median } from "./estimate-wait.js";

describe("estimateWaitSeconds", () => {
  it("answers 0 while the lane has a free slot for the build", () => {
    expect(estimateWaitSeconds({ position: 3, slots: 10, running: 7, recentDurationsMs: [60_000] })).toBe(0);
    expect(estimateWaitSeconds({ position: 1, slots: 10, running: 0, recentDurationsMs: [] })).toBe(0);
  });

  it("waits one slot-free interval per build ahead on a full lane, from the median recent duration", () => {
    // 10 slots, builds of a minute: a slot frees every 6 s; the 25th in line starts after ~150 s.
    expect(estimateWaitSeconds({ position: 25, slots: 10, running: 10, recentDurationsMs: [60_000, 30_000, 90_000] })).toBe(150);
    // Two of the 10 slots free: the first two start at once, the 5th waits for 3 more slots.
    expect(estimateWaitSeconds({ position: 5, slots: 10, running: 8, recentDurationsMs: [60_000] })).toBe(18);
  });

  it("is not swayed by one very long build in the window", () => {
    const window = [60_000, 60_000, 60_000, 60_000, 3_600_000];
    expect(estimateWaitSeconds({ position: 10, slots: 10, running: 10, recentDurationsMs: window })).toBe(60);
  });

  it("has no estimate without slots or without recent durations", () => {
    expect(estimateWaitSeconds({ position: 5, slots: 0, running: 0, recentDurationsMs: [60_000] })).toBeUndefined();
    expect(estimateWaitSeconds({ position: 5, slots: 2, running: 2, recentDurationsMs: [] })).toBeUndefined();
    expect(estimateWaitSeconds({ position: 0, slots: 2, running: 2, recentDurationsMs: [1] })).toBeUndefined();
  });

  it("takes the middle of an even window as the mean of the two middle values", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeUndefined();
  });
});
