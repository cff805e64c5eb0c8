import { describe, expect, it } from "vitest";
import { RebuildEvent, typedRebuildEvent } from "../contract/index.js";
import { SUPERSEDED_REASON } from "../rebuilds/wave.js";
import type { NodeChange } from "../rebuilds/wave.js";
import { waveEvents, waveTenants } from "./wave-events.js";
import type { WaveDoc } from "./wave-store.js";

const at = "2026-12-02T12:00:00.000Z";
const digest = `sha256:${"cd".repeat(32)}`;

function doc(over: Partial<WaveDoc> = {}): WaveDoc {
  return {
    id: "rw-lq3c0a1b2c3d4e5f",
    startedBy: "ops",
    scope: "admin",
    trigger: { base: "team-a/base" },
    priority: "bulk",
    createdAt: at,
    updatedAt: at,
    state: "running",
    version: 1,
    plan: { levels: [["team-a/base"], ["team-b/app"]], nodes: [{ id: "team-a/base" }, { id: "team-b/app" }] } as unknown as WaveDoc["plan"],
    wave: {
      options: { maxInFlight: 10, onFailure: "skip-dependents" },
      nodes: [
        { id: "team-a/base", level: 0, parents: [], children: ["team-b/app"], state: "queued", attempt: 1 },
        { id: "team-b/app", level: 1, parents: ["team-a/base"], children: [], state: "pending", attempt: 1 },
      ],
      index: { "team-a/base": 0, "team-b/app": 1 },
      cancelRequested: false,
    },
    builds: { "team-a/base": { buildId: "01jb0000000000000000000000", attempt: 1, pins: [{ base: "busybox", digest, state: "pinned" }] } },
    eventSeq: 0,
    ...over,
  };
}

describe("waveEvents", () => {
  it("names every tenant with a node for an admin wave, and the wave's own for a tenant wave", () => {
    expect(waveTenants(doc())).toEqual(["team-a", "team-b"]);
    expect(waveTenants(doc({ scope: "tenant", tenant: "team-a" }))).toEqual(["team-a"]);
  });

  it("announces a created wave once, with the queued node and the pins of its build", () => {
    const change: NodeChange = { id: "team-a/base", from: "pending", to: "queued", attempt: 1 };
    const events = waveEvents(undefined, doc(), [change]);
    expect(events.map((e) => e.type)).toEqual(["rebuild.started", "rebuild.node.queued"]);
    expect(events[1]?.data).toMatchObject({ node: "team-a/base", tenants: ["team-a"], buildId: "01jb0000000000000000000000", builtFrom: { busybox: digest } });
  });

  it("announces nothing for a step that changed nothing (a replay)", () => {
    expect(waveEvents(doc(), doc({ version: 2 }), [])).toEqual([]);
  });

  it("ends a superseded wave with rebuild.cancelled saying why", () => {
    const events = waveEvents(doc(), doc({ state: "cancelled", cancelledBy: "Superseded" }), []);
    expect(events).toEqual([{ type: "rebuild.cancelled", data: expect.objectContaining({ reason: SUPERSEDED_REASON, tenants: ["team-a", "team-b"] }) as unknown }]);
  });

  it("announces a retry as rebuild.started again", () => {
    const events = waveEvents(doc({ state: "failed" }), doc(), []);
    expect(events.map((e) => [e.type, "retry" in e.data ? e.data.retry : undefined])).toEqual([["rebuild.started", true]]);
  });

  it("makes only events that parse: the wave store publishes them without a parse of its own", () => {
    const changes: NodeChange[] = [
      { id: "team-a/base", from: "pending", to: "queued", attempt: 1 },
      { id: "team-a/base", from: "running", to: "succeeded", attempt: 1, digest },
      { id: "team-b/app", from: "queued", to: "failed", attempt: 1, reason: "x".repeat(5000) },
      { id: "team-b/app", from: "pending", to: "skipped", attempt: 1, reason: "its parent failed" },
    ];
    const events = [
      ...waveEvents(undefined, doc({ reason: "r".repeat(5000) }), changes),
      ...waveEvents(doc(), doc({ state: "failed" }), []),
      ...waveEvents(doc(), doc({ state: "succeeded" }), []),
      ...waveEvents(doc(), doc({ state: "cancelled", cancelledBy: "ops" }), []),
    ];
    // Every rebuild.* type.
    expect(new Set(events.map((e) => e.type)).size).toBe(8);
    events.forEach((e, i) => {
      const event = typedRebuildEvent(e.type, { waveId: doc().id, sequence: i + 1, source: "/t", time: at, data: e.data });
      expect(RebuildEvent.safeParse(event).error).toBeUndefined();
    });
  });
});
