import { describe, expect, it } from "vitest";
import type { WaveNodeView, WaveView } from "../api/types";
import { foldWave } from "./wave-live";

const node = (id: string, state: WaveNodeView["state"], buildId: string | null = null): WaveNodeView => ({
  id, image: id, tenant: "t", level: 0, parents: [], state, attempt: 1, buildId, digest: null, bases: [], pins: [], warnings: [],
});
const counts = (over: Partial<WaveView["counts"]>): WaveView["counts"] => ({ pending: 0, queued: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0, ...over });
const wave = (nodes: WaveNodeView[], eventSeq: number): WaveView => ({
  id: "rw-abcdefgh", state: "running", startedBy: "t", trigger: { base: "t/a" }, priority: "bulk", options: { maxInFlight: 2, onFailure: "skip-dependents" },
  createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z", finishedAt: null, eventSeq, counts: counts({}), levels: [], warnings: [], nodes,
});
const D = `sha256:${"a".repeat(64)}`;

describe("foldWave", () => {
  it("moves a node queued → running on its build's start, then succeeded on rebuild.node.succeeded", () => {
    const w = wave([node("t/a", "queued", "b1"), node("t/b", "pending")], 2);
    const out = foldWave(w, [
      { type: "build.running", data: { buildId: "b1" } },
      { type: "rebuild.node.succeeded", sequence: 3, data: { node: "t/a", attempt: 1, digest: D } },
      { type: "rebuild.node.queued", sequence: 4, data: { node: "t/b", attempt: 1, buildId: "b2" } },
    ]);
    expect(out.wave.nodes.map((n) => [n.state, n.buildId])).toEqual([["succeeded", "b1"], ["queued", "b2"]]);
    expect(out.wave.nodes[0]?.digest).toBe(D);
    expect(out.wave.counts).toMatchObject({ succeeded: 1, queued: 1 });
    expect(out.refetch).toBe(false);
  });

  it("skips the replayed events the loaded view already includes, and never moves a node back", () => {
    const w = wave([node("t/a", "succeeded", "b1")], 3);
    const out = foldWave(w, [
      { type: "rebuild.started", sequence: 1, data: {} },
      { type: "rebuild.node.queued", sequence: 2, data: { node: "t/a", attempt: 1, buildId: "b1" } },
      { type: "build.started", data: { buildId: "b1" } },
    ]);
    expect(out.wave.nodes[0]?.state).toBe("succeeded");
    expect(out.refetch).toBe(false);
  });

  it("ends the wave on its terminal event, and asks for the wave when its counts do not add up", () => {
    const w = wave([node("t/a", "succeeded", "b1"), node("t/b", "pending")], 3);
    const done = foldWave(w, [{ type: "rebuild.cancelled", sequence: 4, time: "2026-01-01T00:01:00.000Z", data: { counts: { succeeded: 1, cancelled: 1 } } }]);
    expect(done.wave.state).toBe("cancelled");
    expect(done.wave.finishedAt).toBe("2026-01-01T00:01:00.000Z");
    // t/b's cancel was not announced node by node.
    expect(done.refetch).toBe(true);
  });

  it("asks for the wave on a retry or a node it does not know", () => {
    const w = wave([node("t/a", "failed", "b1")], 3);
    expect(foldWave(w, [{ type: "rebuild.started", sequence: 4, data: { retry: true } }]).refetch).toBe(true);
    expect(foldWave(w, [{ type: "rebuild.node.queued", sequence: 4, data: { node: "t/zz", attempt: 1, buildId: "b9" } }]).refetch).toBe(true);
  });
});
