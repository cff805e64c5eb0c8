import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors/index.js";
import { makeBuildEvent } from "./build-event.js";
import { newBuildId } from "./build-id.js";
import { RebuildEvent, StreamEvent, isRebuildEvent, makeRebuildEvent, typedRebuildEvent } from "./rebuild-event.js";

const waveId = "rw-lq3c0a1b2c3d4e5f";
const digest = `sha256:${"ab".repeat(32)}`;
const time = "2026-12-02T12:00:00.000Z";

describe("rebuild events", () => {
  it("wrap a wave's data in a CloudEvents envelope whose subject and id name the wave", () => {
    const event = makeRebuildEvent("rebuild.node.succeeded", {
      waveId,
      sequence: 3,
      source: "/buildfleet/rebuilds",
      time,
      data: { waveId, tenants: ["team-a"], node: "team-a/runtime", attempt: 1, digest },
    });
    expect(event).toMatchObject({ specversion: "1.0", id: `${waveId}-3`, subject: waveId, type: "rebuild.node.succeeded", sequence: 3, time });
    expect(RebuildEvent.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it("refuse data of another wave than the subject, and unknown fields", () => {
    const data = { waveId: "rw-other0000000", tenants: [], counts: {} };
    expect(() => makeRebuildEvent("rebuild.succeeded", { waveId, sequence: 1, source: "/t", data })).toThrow(ValidationError);
    expect(() => makeRebuildEvent("rebuild.succeeded", { waveId, sequence: 1, source: "/t", data: { waveId, tenants: [], counts: {}, extra: 1 } as never })).toThrow(ValidationError);
  });

  it("are the same event typed as made and checked, when the data is valid", () => {
    const init = { waveId, sequence: 2, source: "/r", time, data: { waveId, tenants: ["team-a"], node: "team-a/app", attempt: 1, level: 1, buildId: newBuildId(), builtFrom: { "r.example/base:v1": digest } } };
    expect(typedRebuildEvent("rebuild.node.queued", init)).toEqual(makeRebuildEvent("rebuild.node.queued", init));
  });

  it("parse alongside build events as one stream event type", () => {
    const buildId = newBuildId();
    const build = makeBuildEvent("build.succeeded", { buildId, sequence: 2, source: "/w", data: { buildId, digest, destinations: ["r.example/a:v1"], attempts: 1, builtFrom: { "r.example/base:v1": digest } } });
    const wave = makeRebuildEvent("rebuild.started", { waveId, sequence: 1, source: "/r", data: { waveId, tenants: ["team-a"], nodes: 2, levels: 2, startedBy: "team-a" } });
    expect(StreamEvent.parse(build)).toEqual(build);
    expect(StreamEvent.parse(wave)).toEqual(wave);
    expect([build, wave].map(isRebuildEvent)).toEqual([false, true]);
  });
});
