import type { BuildRecord } from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import { BoundedLabel, OTHER_LABEL } from "./bounded-label.js";
import { sampleOf } from "./build-samples.js";

function record(overrides: Partial<BuildRecord>): BuildRecord {
  return {
    id: "01JBUILD0000000000000000AB",
    tenant: "team-a",
    state: "queued",
    request: { priority: "bulk" } as BuildRecord["request"],
    attempts: [],
    labels: {},
    createdAt: "2026-12-02T10:00:00.000Z",
    updatedAt: "2026-12-02T10:00:00.000Z",
    eventSeq: 0,
    ...overrides,
  } as BuildRecord;
}

describe("sampleOf", () => {
  it("measures queue wait from submission to the Job's creation", () => {
    expect(sampleOf(record({ state: "starting", startedAt: "2026-12-02T10:00:42.500Z" }))).toEqual({
      kind: "started",
      lane: "bulk",
      tenant: "team-a",
      queueWaitSeconds: 42.5,
    });
  });

  it("gives a failed build its reason and a succeeded one the reason none", () => {
    const times = { startedAt: "2026-12-02T10:01:00.000Z", finishedAt: "2026-12-02T10:03:00.000Z" };
    expect(sampleOf(record({ state: "failed", ...times, failure: { reason: "OOMKilled", message: "x" } }))).toMatchObject({
      kind: "finished",
      outcome: "failed",
      reason: "OOMKilled",
      durationSeconds: 120,
    });
    expect(sampleOf(record({ state: "succeeded", ...times }))).toMatchObject({ outcome: "succeeded", reason: "none" });
  });

  it("has no duration for a build cancelled before it started", () => {
    expect(sampleOf(record({ state: "cancelled", finishedAt: "2026-12-02T10:03:00.000Z" }))).toMatchObject({
      outcome: "cancelled",
      durationSeconds: undefined,
    });
  });

  it("counts nothing for queued and running", () => {
    expect(sampleOf(record({ state: "running" }))).toBeUndefined();
    expect(sampleOf(record({ state: "queued" }))).toBeUndefined();
  });
});

describe("BoundedLabel", () => {
  it("keeps the first values and folds later ones into _other", () => {
    const label = new BoundedLabel(2);
    expect(["a", "b", "c", "a", "d", "b"].map((v) => label.of(v))).toEqual(["a", "b", OTHER_LABEL, "a", OTHER_LABEL, "b"]);
  });
});
