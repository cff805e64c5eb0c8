import { type Transition } from "@buildfleet/shared";
import { BuildRecord, BuildRequest, newBuildId } from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import type { AttemptObservation, BuildObservation } from "../tracking/derive-status.js";
import { planTransitions } from "./plan.js";

const request = BuildRequest.parse({
  context: { type: "volume", claimName: "kaniko-workspace", path: "my-build" },
  destinations: ["registry.internal:5000/team/app:v1.0.0"],
});

function record(state: BuildRecord["state"]): BuildRecord {
  const now = "2026-11-22T10:00:00.000Z";
  return BuildRecord.parse({ id: newBuildId(), tenant: "t", state, request, createdAt: now, updatedAt: now, sequence: 1 });
}

function attempt(i: number, extra: Partial<AttemptObservation> = {}): AttemptObservation {
  return { index: i, podName: `b-app-${i}`, disrupted: false, ...extra };
}

function obs(phase: BuildObservation["phase"], attempts: AttemptObservation[], extra: Partial<BuildObservation> = {}): BuildObservation {
  return { phase, attempts, failedAttempts: attempts.filter((a) => a.exitCode !== undefined && a.exitCode !== 0 && !a.disrupted).length, ...extra };
}

const summary = (r: BuildRecord, plan: Transition[]): string[] =>
  plan.map((t) => `${t.to}/${t.key ?? t.to}/${t.event.type}:${JSON.stringify(t.event.data({ ...r, ...(t.patch?.(r, r.updatedAt) ?? {}) }))}`);

describe("planTransitions", () => {
  it("announces the start before the first running attempt when it jumps from queued", () => {
    const r = record("queued");
    const plan = planTransitions(r, obs("running", [attempt(1, { podPhase: "Running" })]), "b-app-x");
    expect(plan.map((t) => [t.to, t.key ?? t.to, t.event.type])).toEqual([
      ["starting", "starting", "build.started"],
      ["running", "running:1", "build.running"],
    ]);
    expect(summary(r, plan)[1]).toContain('"podName":"b-app-1"');
  });

  it("keys each retry by the attempt it starts, with how the previous one ended", () => {
    const r = record("running");
    const o = obs("retrying", [attempt(1, { exitCode: 1, reason: "Error", finishedAt: "2026-11-22T10:01:00Z" })]);
    const [retry] = planTransitions(r, o, "b-app-x");
    expect(retry?.key).toBe("retrying:2");
    expect(retry?.event.data(r)).toEqual({ buildId: r.id, attempt: 2, previous: { exitCode: 1, reason: "Error" } });
  });

  it("does not count an evicted pod as an attempt", () => {
    const r = record("running");
    const o = obs("succeeded", [attempt(1, { disrupted: true, reason: "Evicted" }), attempt(2, { exitCode: 0 })], {
      digest: `sha256:${"b".repeat(64)}`,
    });
    const [done] = planTransitions(r, o, "b-app-x");
    expect(done?.to).toBe("succeeded");
    expect(done?.event.data(r)).toMatchObject({ attempts: 1, digest: `sha256:${"b".repeat(64)}` });
  });

  it("carries the derived failure reason and message", () => {
    const r = record("running");
    const o = obs("failed", [attempt(1, { exitCode: 137, reason: "OOMKilled" })], {
      failure: { reason: "OOMKilled", message: "kaniko was OOMKilled" },
    });
    const [failed] = planTransitions(r, o, "b-app-x");
    expect(failed?.event.type).toBe("build.failed");
    expect(failed?.event.data(r)).toMatchObject({ reason: "OOMKilled", message: "kaniko was OOMKilled", attempts: 1 });
    expect(failed?.patch?.(r, r.updatedAt)).toMatchObject({ failure: { reason: "OOMKilled" } });
  });

  it("plans nothing for a build already in a terminal state", () => {
    const o = obs("running", [attempt(1, { podPhase: "Running" })]);
    for (const state of ["succeeded", "failed", "cancelled"] as const) {
      expect(planTransitions(record(state), o, "b-app-x")).toEqual([]);
    }
  });

  it("waits for the pods while the Job is pending", () => {
    expect(planTransitions(record("starting"), obs("pending", []), "b-app-x")).toEqual([]);
  });
});
