import { describe, expect, it } from "vitest";
import { ImageGraph, ImageView, ScheduleView, WorkerList } from "../index.js";

const T = "2026-01-01T00:00:00.000Z";
const worker = { id: "w-1", host: "node-a", pid: 7, version: "1.0.0", capacity: 4, inFlight: 1, state: "running", startedAt: T, heartbeatAt: T };
const image = {
  apiVersion: "buildfleet.dev/v1",
  kind: "Image",
  metadata: { name: "app" },
  spec: { build: { destinations: ["r/app:v1"] } },
  status: { tenant: "t", id: "t/app", generation: 1, createdAt: T, updatedAt: T, bases: { state: "resolved", bases: [] }, lastBuild: null, lastDigest: null, builtFrom: {} },
};
const schedule = {
  apiVersion: "buildfleet.dev/v1",
  kind: "Schedule",
  metadata: { name: "nightly" },
  spec: { cron: "0 3 * * *", timeZone: "UTC", target: { image: "app" }, skipIfUnchanged: true, cascade: false, concurrencyPolicy: "Forbid", startingDeadlineSeconds: 300, suspend: false },
  status: { tenant: "t", createdAt: T, updatedAt: T, next: T, last: T, result: "built", runs: [{ fireAt: T, trigger: "cron", outcome: "built", buildId: "b" }] },
};

describe("the workers, images and schedules answers", () => {
  it("accept what the API answers", () => {
    expect(WorkerList.safeParse({ items: [worker] }).success).toBe(true);
    expect(ImageView.safeParse(image).success).toBe(true);
    expect(ScheduleView.safeParse(schedule).success).toBe(true);
    expect(ImageGraph.safeParse({ nodes: [{ id: "t/app", tenant: "t", name: "app", resolved: true, destinations: [] }], edges: [] }).success).toBe(true);
  });

  it("catch an answer missing a required field, naming it", () => {
    const { heartbeatAt: _h, ...noHeartbeat } = worker;
    const { lastBuild: _l, ...status } = image.status;
    const { runs: _r, ...scheduleStatus } = schedule.status;
    const paths = (r: { error?: { issues: { path: PropertyKey[] }[] } }) => r.error?.issues.map((i) => i.path.join("."));
    expect(paths(WorkerList.safeParse({ items: [noHeartbeat] }))).toEqual(["items.0.heartbeatAt"]);
    expect(paths(ImageView.safeParse({ ...image, status }))).toEqual(["status.lastBuild"]);
    expect(paths(ScheduleView.safeParse({ ...schedule, status: scheduleStatus }))).toEqual(["status.runs"]);
    expect(paths(ImageGraph.safeParse({ nodes: [] }))).toEqual(["edges"]);
  });
});
