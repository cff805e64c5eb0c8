import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createSimClock } from "./clock.js";

describe("createSimClock", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date("2026-01-01T00:00:00Z") });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs simulated time `speed` times faster than wall-clock time", () => {
    const clock = createSimClock(60);
    vi.advanceTimersByTime(1_000);
    expect(clock.now().toISOString()).toBe("2026-01-01T00:01:00.000Z");
  });

  it("fires `after` once the simulated delay has passed, and can be cancelled", () => {
    const clock = createSimClock(10);
    const fired: string[] = [];
    clock.after(60_000, () => fired.push("a"));
    const cancel = clock.after(60_000, () => fired.push("b"));
    cancel();
    vi.advanceTimersByTime(5_999);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(["a"]);
  });

  it("rejects a speed that is not a positive finite number", () => {
    expect(() => createSimClock(0)).toThrow(RangeError);
    expect(() => createSimClock(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
