import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors/index.js";
import { BuildEvent, makeBuildEvent, typedBuildEvent } from "./build-event.js";
import type { BuildEventType } from "./build-event.js";
import { newBuildId } from "./build-id.js";

const buildId = newBuildId({ now: 1_717_243_200_000 });
const digest = `sha256:${"ab".repeat(32)}`;
const source = "/buildfleet/worker";
const time = "2024-06-01T12:00:00.000Z";

describe("build events", () => {
  it("are the same event typed as made and checked, when the data is valid", () => {
    const init = { buildId, sequence: 1, source, time, data: { buildId, tenant: "team-a", priority: "bulk" as const, destinations: ["registry.internal:5000/team/app:v1"] } };
    expect(typedBuildEvent("build.queued", init)).toEqual(makeBuildEvent("build.queued", init));
  });

  it("wrap data in a CloudEvents 1.0 JSON envelope", () => {
    const event = makeBuildEvent("build.succeeded", {
      buildId,
      sequence: 4,
      source,
      time,
      data: { buildId, digest, destinations: ["registry.internal:5000/mirror/busybox:1.36"], attempts: 1 },
    });
    expect(event).toEqual({
      specversion: "1.0",
      id: `${buildId}-4`,
      source,
      type: "build.succeeded",
      subject: buildId,
      time,
      datacontenttype: "application/json",
      sequence: 4,
      data: { buildId, digest, destinations: ["registry.internal:5000/mirror/busybox:1.36"], attempts: 1 },
    });
  });

  it("round-trip through JSON and the schema (what the outbox stores)", () => {
    const event = makeBuildEvent("build.failed", {
      buildId,
      sequence: 3,
      source,
      time: new Date(time),
      data: { buildId, reason: "OOMKilled", message: "kaniko was killed: memory limit 512Mi", attempts: 3 },
    });
    expect(BuildEvent.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
    expect(event.time).toBe(time);
  });

  it("keep the same id for the same build and sequence, so re-deliveries are recognisable", () => {
    const make = () => makeBuildEvent("build.cancelled", { buildId, sequence: 2, source, data: { buildId, by: "alice" } });
    expect(make().id).toBe(make().id);
    expect(makeBuildEvent("build.cancelled", { buildId, sequence: 3, source, data: { buildId } }).id).not.toBe(make().id);
  });

  it.each<[BuildEventType, Record<string, unknown>]>([
    ["build.queued", { buildId, tenant: "team-a", priority: "normal", destinations: ["r.io/a:v1"] }],
    ["build.started", { buildId, jobName: "b-app-1a2b3c", attempt: 1 }],
    ["build.running", { buildId, jobName: "b-app-1a2b3c", attempt: 1, podName: "b-app-1a2b3c-x7k2p" }],
    ["build.retrying", { buildId, attempt: 2, previous: { exitCode: 1, reason: "Error", message: "push failed" } }],
    ["build.succeeded", { buildId, digest, destinations: ["r.io/a:v1"], attempts: 2 }],
    ["build.failed", { buildId, reason: "QueueTimeout", message: "not started within 1800s", attempts: 0 }],
    ["build.cancelled", { buildId }],
  ])("accept %s with its data", (type, data) => {
    // Through the untyped overload, as a store that builds data generically would call it.
    const event = makeBuildEvent(type, { buildId, sequence: 1, source, data });
    expect(event.type).toBe(type);
    expect(event.data).toEqual(data);
  });

  it("refuse data that does not match the type, naming the field", () => {
    expect(() =>
      makeBuildEvent("build.succeeded", { buildId, sequence: 1, source, data: { buildId, destinations: ["r.io/a:v1"], attempts: 1 } }),
    ).toThrow(ValidationError);
    expect(() =>
      makeBuildEvent("build.failed", { buildId, sequence: 1, source, data: { buildId, reason: "Exploded", message: "x", attempts: 1 } }),
    ).toThrow(/data\.reason/);
  });

  it("refuse a sequence below 1 and data about another build", () => {
    expect(() => makeBuildEvent("build.cancelled", { buildId, sequence: 0, source, data: { buildId } })).toThrow(/sequence/);
    const other = newBuildId({ now: 1_717_243_200_001 });
    expect(() => makeBuildEvent("build.cancelled", { buildId, sequence: 1, source, data: { buildId: other } })).toThrow(
      /data\.buildId must equal subject/,
    );
  });

  it("tolerate CloudEvents extension attributes from other producers", () => {
    const event = makeBuildEvent("build.cancelled", { buildId, sequence: 1, source, time, data: { buildId } });
    expect(BuildEvent.safeParse({ ...event, traceparent: "00-abc-def-01" }).success).toBe(true);
    expect(BuildEvent.safeParse({ ...event, specversion: "0.3" }).success).toBe(false);
  });
});
