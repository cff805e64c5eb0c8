import { describe, expect, it } from "vitest";
import { pausedMsBetween, queueDeadline } from "./pause-time.js";

describe("pausedMsBetween", () => {
  it("counts only the part of each pause inside the window", () => {
    expect(pausedMsBetween([{ start: 0, end: 100 }, { start: 150, end: 400 }], 50, 300)).toBe(50 + 150);
  });

  it("counts an open pause up to the end of the window", () => {
    expect(pausedMsBetween([{ start: 100 }], 0, 250)).toBe(150);
  });

  it("counts overlapping pauses once", () => {
    expect(pausedMsBetween([{ start: 0, end: 100 }, { start: 50, end: 120 }, { start: 60, end: 70 }], 0, 1000)).toBe(120);
  });

  it("is zero for an empty or inverted window", () => {
    expect(pausedMsBetween([{ start: 0 }], 10, 10)).toBe(0);
    expect(pausedMsBetween([{ start: 0 }], 10, 5)).toBe(0);
  });
});

describe("queueDeadline", () => {
  it("moves a build's deadline by the time the queue was paused after it was submitted", () => {
    // Submitted at 0 with 30 s; paused from 10 s to 70 s: the deadline is 90 s.
    expect(queueDeadline(0, 30, [{ start: 10_000, end: 70_000 }], 80_000)).toBe(90_000);
    // A pause before submission does not count.
    expect(queueDeadline(100_000, 30, [{ start: 10_000, end: 70_000 }], 120_000)).toBe(130_000);
  });
});
