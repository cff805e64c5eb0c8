import { describe, expect, it } from "vitest";
import { buildGraph } from "../catalog/graph.js";
import type { CatalogEntry, ImageId } from "../catalog/graph.js";
import { REG, digest, entry, fromImages } from "../test-support/catalog.js";
import { pinBuildRequest } from "./pin.js";
import { planWave } from "./plan.js";
import type { WavePlan } from "./plan.js";
import { SUPERSEDED_REASON, WaveOptions, advance, applyOutcome, applyOutcomes, cancelWave, pinsFor, retryWave, startWave, supersedeWave, waveStatus } from "./wave.js";
import type { NodeOutcome, Wave } from "./wave.js";

function planOf(entries: CatalogEntry[], base: string): WavePlan {
  const result = planWave(buildGraph({ entries }), { base }, { kind: "admin" });
  if (!result.ok) throw new Error(result.message);
  return result.plan;
}

const diamond = [
  entry("base", "FROM debian:12"),
  entry("jvm", fromImages("base")),
  entry("python", fromImages("base")),
  entry("app", `${fromImages("jvm")}\nFROM ${REG}/team/python:v1\nCOPY --from=s0 /opt/java /opt/java`),
];

const inFlightOf = (wave: Wave) => wave.nodes.filter((n) => n.state === "queued" || n.state === "running").length;

/**
 * Drives a wave to its end like the coordinator: enqueue what advance says,
 * then finish the oldest in-flight build with `decide`. Checks maxInFlight
 * after every step and returns the order of enqueues.
 */
function drive(start: Wave, decide: (id: ImageId, attempt: number) => NodeOutcome["type"] = () => "succeeded", steps = 10_000) {
  let wave = start;
  const enqueued: string[] = [];
  const fifo: { id: ImageId; attempt: number }[] = [];
  for (let step = 0; step < steps; step++) {
    const next = advance(wave);
    wave = next.wave;
    expect(inFlightOf(wave)).toBeLessThanOrEqual(wave.options.maxInFlight);
    for (const node of next.enqueue) {
      enqueued.push(`${node.id}#${node.attempt}`);
      fifo.push({ id: node.id, attempt: node.attempt });
    }
    const job = fifo.shift();
    if (job === undefined) break;
    wave = applyOutcome(wave, { ...job, type: "started" }).wave;
    const type = decide(job.id, job.attempt);
    const outcome: NodeOutcome = type === "succeeded" ? { ...job, type, digest: digest(enqueued.length) } : type === "started" ? { ...job, type } : { ...job, type };
    wave = applyOutcome(wave, outcome).wave;
    expect(inFlightOf(wave)).toBeLessThanOrEqual(wave.options.maxInFlight);
  }
  return { wave, enqueued };
}

const stateOf = (wave: Wave, id: ImageId) => wave.nodes[wave.index[id]!];

describe("a wave", () => {
  it("builds a diamond's app once, after both runtimes", () => {
    let wave = startWave(planOf(diamond, "base"));
    let step = advance(wave);
    expect(step.enqueue.map((n) => n.id)).toEqual(["team/base"]);
    wave = applyOutcome(step.wave, { id: "team/base", attempt: 1, type: "succeeded", digest: digest(1) }).wave;
    step = advance(wave);
    expect(step.enqueue.map((n) => n.id)).toEqual(["team/jvm", "team/python"]);
    wave = applyOutcome(step.wave, { id: "team/jvm", attempt: 1, type: "succeeded", digest: digest(2) }).wave;
    step = advance(wave);
    expect(step.enqueue).toEqual([]);
    wave = applyOutcome(step.wave, { id: "team/python", attempt: 1, type: "succeeded", digest: digest(3) }).wave;
    step = advance(wave);
    expect(step.enqueue.map((n) => n.id)).toEqual(["team/app"]);
    expect(advance(step.wave).enqueue).toEqual([]);
    wave = applyOutcome(step.wave, { id: "team/app", attempt: 1, type: "succeeded", digest: digest(4) }).wave;
    expect(waveStatus(wave)).toEqual({
      state: "succeeded",
      terminal: true,
      counts: { pending: 0, queued: 0, running: 0, succeeded: 4, failed: 0, skipped: 0, cancelled: 0 },
    });
  });

  it("pins the app to both runtimes' new digests", () => {
    const plan = planOf(diamond, "base");
    const { wave } = drive(startWave(plan));
    const app = plan.nodes.find((n) => n.id === "team/app")!;
    const pins = pinsFor(wave, app);
    expect(pins).toEqual(new Map([[`${REG}/team/jvm:v1`, stateOf(wave, "team/jvm")!.digest], [`${REG}/team/python:v1`, stateOf(wave, "team/python")!.digest]]));
    const pinned = pinBuildRequest(diamond[3]!.image.spec.build, pins);
    expect(pinned.ok && pinned.pins.map((p) => p.state)).toEqual(["pinned", "pinned"]);
    expect(pinned.ok && "inline" in pinned.request.dockerfile && pinned.request.dockerfile.inline).toContain(`${REG}/team/python:v1@${stateOf(wave, "team/python")!.digest}`);
  });

  describe("when a middle node fails", () => {
    const entries = [
      entry("base", "FROM debian:12"),
      entry("mid", fromImages("base")),
      entry("side", fromImages("base")),
      entry("leaf", fromImages("mid")),
      entry("deep", fromImages("leaf", "side")),
      entry("side-app", fromImages("side")),
    ];
    const failMid = (id: ImageId, attempt: number) => (id === "team/mid" && attempt === 1 ? "failed" : "succeeded");

    it("skips its descendants naming it, and its siblings go on", () => {
      const { wave } = drive(startWave(planOf(entries, "base")), failMid);
      expect(stateOf(wave, "team/mid")?.state).toBe("failed");
      expect(stateOf(wave, "team/leaf")).toMatchObject({ state: "skipped", skippedBecause: "team/mid", reason: "team/mid failed" });
      expect(stateOf(wave, "team/deep")).toMatchObject({ state: "skipped", skippedBecause: "team/mid" });
      expect(["team/side", "team/side-app"].map((id) => stateOf(wave, id)?.state)).toEqual(["succeeded", "succeeded"]);
      expect(waveStatus(wave)).toMatchObject({ state: "failed", terminal: true, counts: { succeeded: 3, failed: 1, skipped: 2 } });
    });

    it("retries the failed and skipped nodes with the next attempt, keeping the succeeded digests", () => {
      const first = drive(startWave(planOf(entries, "base")), failMid);
      const kept = stateOf(first.wave, "team/side")?.digest;
      const retried = retryWave(first.wave);
      expect(retried.changes.map((c) => [c.id, c.from, c.to, c.attempt])).toEqual([
        ["team/mid", "failed", "pending", 2],
        ["team/leaf", "skipped", "pending", 2],
        ["team/deep", "skipped", "pending", 2],
      ]);
      const second = drive(retried.wave, failMid);
      expect(second.enqueued).toEqual(["team/mid#2", "team/leaf#2", "team/deep#2"]);
      expect(stateOf(second.wave, "team/side")?.digest).toBe(kept);
      expect(waveStatus(second.wave).state).toBe("succeeded");
    });
  });

  it("in stop mode enqueues nothing after the first failure and skips what has not started", () => {
    const entries = [entry("base", "FROM debian:12"), ...["a", "b", "c", "d"].map((n) => entry(n, fromImages("base")))];
    const { wave, enqueued } = drive(startWave(planOf(entries, "base"), { onFailure: "stop", maxInFlight: 2 }), (id) => (id === "team/a" ? "failed" : "succeeded"));
    // a and b were in flight together; b finishes, c and d never start.
    expect(enqueued).toEqual(["team/base#1", "team/a#1", "team/b#1"]);
    expect(wave.stoppedBy).toBe("team/a");
    expect(stateOf(wave, "team/b")?.state).toBe("succeeded");
    expect(stateOf(wave, "team/c")).toMatchObject({ state: "skipped", skippedBecause: "team/a", reason: "the wave stopped after team/a failed" });
    expect(waveStatus(wave)).toMatchObject({ state: "failed", terminal: true, counts: { succeeded: 2, failed: 1, skipped: 2 } });
  });

  it("respects maxInFlight at every step of a wide wave and enqueues each node once", () => {
    const entries = [entry("base", "FROM debian:12"), ...Array.from({ length: 40 }, (_, i) => entry(`r${i}`, fromImages("base")))];
    entries.push(...Array.from({ length: 40 }, (_, i) => entry(`app${i}`, fromImages(`r${i}`, `r${(i * 7) % 40}`))));
    for (const maxInFlight of [1, 3, 10]) {
      const { wave, enqueued } = drive(startWave(planOf(entries, "base"), { maxInFlight }), (id) => (id === "team/r5" ? "failed" : "succeeded"));
      expect(new Set(enqueued).size).toBe(enqueued.length);
      expect(waveStatus(wave).terminal).toBe(true);
      expect(wave.nodes.filter((n) => n.state === "skipped").map((n) => n.id).sort()).toEqual(["team/app35", "team/app5"]);
    }
  });

  describe("outcomes", () => {
    const queued = () => {
      const { wave } = advance(startWave(planOf(diamond, "base")));
      return wave;
    };

    it("change nothing when applied twice", () => {
      const once = applyOutcome(queued(), { id: "team/base", attempt: 1, type: "succeeded", digest: digest(1) });
      const twice = applyOutcome(once.wave, { id: "team/base", attempt: 1, type: "succeeded", digest: digest(2) });
      expect(once.changes).toHaveLength(1);
      expect(twice.wave).toBe(once.wave);
      expect(twice.changes).toEqual([]);
      expect(stateOf(twice.wave, "team/base")?.digest).toBe(digest(1));
    });

    it("are ignored for a node not in flight, an unknown node or an earlier attempt", () => {
      const wave = queued();
      const ignored: NodeOutcome[] = [
        { id: "team/app", attempt: 1, type: "failed" },
        { id: "team/nope", attempt: 1, type: "failed" },
        { id: "team/base", attempt: 0, type: "failed" },
      ];
      expect(applyOutcomes(wave, ignored).wave).toBe(wave);
    });

    it("after a retry, a late outcome of the earlier attempt does not count", () => {
      let wave = applyOutcome(queued(), { id: "team/base", attempt: 1, type: "failed", reason: "exit 1" }).wave;
      wave = advance(retryWave(wave).wave).wave;
      expect(stateOf(wave, "team/base")).toMatchObject({ state: "queued", attempt: 2 });
      expect(applyOutcome(wave, { id: "team/base", attempt: 1, type: "failed" }).wave).toBe(wave);
    });

    it("report each change with what the events need", () => {
      const step = applyOutcome(queued(), { id: "team/base", attempt: 1, type: "failed", reason: "exit 1" });
      expect(step.changes).toEqual([
        { id: "team/base", from: "queued", to: "failed", attempt: 1, reason: "exit 1" },
        { id: "team/jvm", from: "pending", to: "skipped", attempt: 1, skippedBecause: "team/base", reason: "team/base failed" },
        { id: "team/python", from: "pending", to: "skipped", attempt: 1, skippedBecause: "team/base", reason: "team/base failed" },
        { id: "team/app", from: "pending", to: "skipped", attempt: 1, skippedBecause: "team/base", reason: "team/base failed" },
      ]);
    });
  });

  it("supersedes: pending nodes cancelled, queued builds to cancel, running ones left to finish", () => {
    // base done; jvm running, python queued, app pending.
    let wave = advance(startWave(planOf(diamond, "base"))).wave;
    wave = advance(applyOutcome(wave, { id: "team/base", attempt: 1, type: "succeeded", digest: digest(11) }).wave).wave;
    wave = applyOutcome(wave, { id: "team/jvm", attempt: 1, type: "started" }).wave;

    const step = supersedeWave(wave);

    expect(step.cancel.map((n) => n.id)).toEqual(["team/python"]);
    expect(step.changes).toEqual([{ id: "team/app", from: "pending", to: "cancelled", attempt: 1, reason: SUPERSEDED_REASON }]);
    expect(advance(step.wave).enqueue).toEqual([]);
    // The running build's digest is still recorded; nothing below it starts.
    wave = applyOutcomes(step.wave, [
      { id: "team/jvm", attempt: 1, type: "succeeded", digest: digest(12) },
      { id: "team/python", attempt: 1, type: "cancelled" },
    ]).wave;
    expect(wave.nodes.find((n) => n.id === "team/jvm")).toMatchObject({ state: "succeeded", digest: digest(12) });
    expect(advance(wave).enqueue).toEqual([]);
    expect(waveStatus(wave)).toMatchObject({ state: "cancelled", terminal: true });
  });

  it("cancels: pending nodes at once, in-flight builds through the answer, then the wave is cancelled", () => {
    let wave = advance(startWave(planOf(diamond, "base"))).wave;
    const cancel = cancelWave(wave);
    expect(cancel.cancel.map((n) => n.id)).toEqual(["team/base"]);
    expect(cancel.changes.map((c) => [c.id, c.to])).toEqual([
      ["team/jvm", "cancelled"],
      ["team/python", "cancelled"],
      ["team/app", "cancelled"],
    ]);
    expect(waveStatus(cancel.wave)).toMatchObject({ state: "running", terminal: false });
    expect(advance(cancel.wave).enqueue).toEqual([]);
    wave = applyOutcome(cancel.wave, { id: "team/base", attempt: 1, type: "cancelled" }).wave;
    expect(waveStatus(wave)).toMatchObject({ state: "cancelled", terminal: true, counts: { cancelled: 4 } });
    expect(cancelWave(wave).changes).toEqual([]);
  });

  it("is terminal and succeeded with zero nodes", () => {
    expect(waveStatus(startWave({ levels: [], nodes: [], warnings: [] }))).toMatchObject({ state: "succeeded", terminal: true });
  });

  it("validates its options, defaulting to 10 in flight and skip-dependents", () => {
    expect(WaveOptions.parse({})).toEqual({ maxInFlight: 10, onFailure: "skip-dependents" });
    expect(WaveOptions.safeParse({ maxInFlight: 0 }).success).toBe(false);
    expect(WaveOptions.safeParse({ onFailure: "ignore" }).success).toBe(false);
  });
});
