import { advance, applyOutcome, startWave, type Wave, type WaveDoc, type WavePlan } from "@buildfleet/shared";
import { WaveView, newBuildId } from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import { waveView } from "./routes.js";

const REGISTRY = "registry.internal:5000/team-a";
const DIGEST = `sha256:${"a".repeat(64)}`;
const AT = "2026-01-01T00:00:00.000Z";
const range = { start: { line: 0, character: 5 }, end: { line: 0, character: 30 } };

const plan: WavePlan = {
  levels: [["team-a/base"], ["team-a/runtime"], ["team-a/app"]],
  nodes: [
    { id: "team-a/base", image: "base", tenant: "team-a", level: 0, parents: [], bases: [{ reference: "busybox:latest", source: { kind: "from", line: 1, range }, pin: "unchanged" }], warnings: [] },
    { id: "team-a/runtime", image: "runtime", tenant: "team-a", level: 1, parents: ["team-a/base"], bases: [{ reference: `${REGISTRY}/base:v1`, source: { kind: "build-arg", name: "BASE", instruction: "from", line: 2 }, pin: "pinned", parent: "team-a/base" }], warnings: [] },
    { id: "team-a/app", image: "app", tenant: "team-a", level: 2, parents: ["team-a/runtime"], bases: [{ reference: `${REGISTRY}/runtime:v1`, source: { kind: "declared", index: 0 }, pin: "unpinned" }], warnings: ["declared base: built from the tag"] },
  ],
  warnings: [],
};

/** base succeeded, runtime failed, app skipped because of it: every optional field of a node is set somewhere. */
function failedWave(): Wave {
  let wave = advance(startWave(plan)).wave;
  wave = applyOutcome(wave, { id: "team-a/base", attempt: 1, type: "started" }).wave;
  wave = applyOutcome(wave, { id: "team-a/base", attempt: 1, type: "succeeded", digest: DIGEST }).wave;
  wave = advance(wave).wave;
  return applyOutcome(wave, { id: "team-a/runtime", attempt: 1, type: "failed", reason: "exit status 1" }).wave;
}

function doc(wave: Wave): WaveDoc {
  return {
    id: "rw-abc12345",
    startedBy: "team-a",
    scope: "tenant",
    tenant: "team-a",
    trigger: { base: "team-a/base" },
    priority: "bulk",
    createdAt: AT,
    updatedAt: AT,
    finishedAt: AT,
    state: "failed",
    version: 4,
    plan,
    wave,
    builds: {
      "team-a/base": { buildId: newBuildId(), attempt: 1, pins: [] },
      "team-a/runtime": { buildId: newBuildId(), attempt: 1, pins: [{ base: `${REGISTRY}/base:v1`, digest: DIGEST, state: "pinned", pinnedTo: `${REGISTRY}/base@${DIGEST}` }] },
    },
    eventSeq: 7,
  };
}

describe("waveView", () => {
  it("answers a failed wave's nodes with their reason, skippedBecause, pins and bases, as the contract's WaveView", () => {
    const view = WaveView.parse(JSON.parse(JSON.stringify(waveView(doc(failedWave())))));

    expect(view.nodes.map((n) => [n.id, n.state, n.reason, n.skippedBecause])).toEqual([
      ["team-a/base", "succeeded", undefined, undefined],
      ["team-a/runtime", "failed", "exit status 1", undefined],
      ["team-a/app", "skipped", "team-a/runtime failed", "team-a/runtime"],
    ]);
    expect(view.nodes[1]?.pins).toEqual([{ base: `${REGISTRY}/base:v1`, digest: DIGEST, state: "pinned", pinnedTo: `${REGISTRY}/base@${DIGEST}` }]);
    expect(view.nodes[2]).toMatchObject({ buildId: null, digest: null });
    expect(view.counts).toEqual({ pending: 0, queued: 0, running: 0, succeeded: 1, failed: 1, skipped: 1, cancelled: 0 });
    expect(view).toMatchObject({ eventSeq: 7, finishedAt: AT, options: { maxInFlight: 10, onFailure: "skip-dependents" } });
  });

  it("leaves unset optional fields off the wire instead of sending them empty", () => {
    const wire = JSON.parse(JSON.stringify(waveView(doc(failedWave())))) as { nodes: Record<string, unknown>[] } & Record<string, unknown>;

    expect("reason" in wire).toBe(false);
    expect(Object.keys(wire.nodes[0] ?? {})).not.toContain("reason");
    expect(Object.keys(wire.nodes[0] ?? {})).not.toContain("skippedBecause");
  });
});
