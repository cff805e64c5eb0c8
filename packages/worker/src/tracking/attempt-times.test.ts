import { describe, expect, it } from "vitest";
import { alignAttemptTimes } from "./attempt-times.js";

const record = { createdAt: "2026-12-02T10:00:00.000Z", startedAt: "2026-12-02T10:00:01.000Z", attempts: [] };
const at = "2026-12-02T10:01:00.000Z";

describe("alignAttemptTimes", () => {
  it("keeps cluster times that lie inside the record's window", () => {
    const attempts = [{ index: 1, podName: "p1", startedAt: "2026-12-02T10:00:05.000Z", finishedAt: "2026-12-02T10:00:50.000Z" }];
    expect(alignAttemptTimes(attempts, record, at)).toEqual(attempts);
  });

  it("moves times from a clock running ahead back to the time of the write", () => {
    const attempts = [{ index: 1, podName: "p1", startedAt: "2026-12-02T11:30:00.000Z", finishedAt: "2026-12-02T11:31:00.000Z" }];
    expect(alignAttemptTimes(attempts, record, at)).toEqual([{ index: 1, podName: "p1", startedAt: at, finishedAt: at }]);
  });

  it("moves times from a clock running behind up to the record's start", () => {
    const attempts = [{ index: 1, podName: "p1", startedAt: "2026-12-02T09:00:00.000Z", finishedAt: "2026-12-02T10:00:30.000Z" }];
    expect(alignAttemptTimes(attempts, record, at)).toEqual([{ index: 1, podName: "p1", startedAt: record.startedAt, finishedAt: "2026-12-02T10:00:30.000Z" }]);
  });

  it("never moves a time already recorded for the same pod", () => {
    const before = { ...record, attempts: [{ index: 1, podName: "p1", startedAt: "2026-12-02T10:00:10.000Z" }] };
    const attempts = [{ index: 1, podName: "p1", startedAt: "2026-12-02T12:00:00.000Z", finishedAt: "2026-12-02T12:05:00.000Z" }];
    expect(alignAttemptTimes(attempts, before, at)).toEqual([{ index: 1, podName: "p1", startedAt: "2026-12-02T10:00:10.000Z", finishedAt: at }]);
  });

  it("takes a new pod in the same slot as a new attempt", () => {
    const before = { ...record, attempts: [{ index: 1, podName: "old", startedAt: "2026-12-02T10:00:10.000Z" }] };
    const attempts = [{ index: 1, podName: "new", startedAt: "2026-12-02T10:00:20.000Z" }];
    expect(alignAttemptTimes(attempts, before, at)).toEqual(attempts);
  });

  it("leaves attempts without times as they are", () => {
    const attempts = [{ index: 1, podName: "p1", reason: "ContainerCreating" }];
    expect(alignAttemptTimes(attempts, record, at)).toEqual(attempts);
  });
});
