import { describe, expect, it } from "vitest";
import { crashLoopDelayMs, imageIdFor, runMsOf, shouldRestart, terminatedState, withLogFallback } from "./container-plan.js";
import { kanikoDigest } from "./kaniko.js";

const t0 = new Date("2026-01-01T00:00:00Z");
const t1 = new Date("2026-01-01T00:01:00Z");

describe("container plan", () => {
  it("qualifies image IDs like containerd reports them", () => {
    expect(imageIdFor("busybox:1.36")).toMatch(/^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
    expect(imageIdFor("team/app")).toMatch(/^docker\.io\/team\/app@sha256:/);
    expect(imageIdFor("localhost:5000/app:1")).toMatch(/^localhost:5000\/app@sha256:/);
    expect(imageIdFor("gcr.io/kaniko-project/executor:v1.23.2")).toMatch(/^gcr\.io\/kaniko-project\/executor@sha256:/);
  });

  it("runs for the scripted time, the default, or forever", () => {
    expect(runMsOf({ succeed: {} }, 5_000)).toBe(5_000);
    expect(runMsOf({ exit: { code: 1, afterMs: 10 } }, 5_000)).toBe(10);
    expect(runMsOf({ hang: {} }, 5_000)).toBeUndefined();
  });

  it("restarts per restartPolicy with the kubelet's doubling back-off", () => {
    expect([shouldRestart("Never", 1), shouldRestart("OnFailure", 1), shouldRestart("OnFailure", 0), shouldRestart("Always", 0)]).toEqual([false, true, false, true]);
    expect([1, 2, 3, 10].map(crashLoopDelayMs)).toEqual([10_000, 20_000, 40_000, 300_000]);
  });

  it("terminates with Completed + digest for Kaniko, Error + message for a scripted exit, OOMKilled 137", () => {
    const args = ["--destination=r/a:1", "--digest-file=/dev/termination-log"];
    expect(terminatedState({ succeed: {} }, args, t0, t1)).toEqual({
      kind: "terminated", exitCode: 0, reason: "Completed", message: kanikoDigest(args), startedAt: t0, finishedAt: t1,
    });
    expect(terminatedState({ succeed: {} }, ["--destination=r/a:1"], t0, t1)).not.toHaveProperty("message");
    expect(terminatedState({ exit: { code: 1, message: "push failed" } }, args, t0, t1)).toMatchObject({ exitCode: 1, reason: "Error", message: "push failed" });
    expect(terminatedState({ oomKilled: {} }, args, t0, t1)).toMatchObject({ exitCode: 137, reason: "OOMKilled" });
  });
});

describe("withLogFallback (terminationMessagePolicy FallbackToLogsOnError)", () => {
  const t = new Date(0);
  it("gives a failed container without a message its log tail, bounded like the kubelet", () => {
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`);
    const state = withLogFallback({ kind: "terminated", exitCode: 1, reason: "Error", startedAt: t, finishedAt: t }, lines);
    const message = state.kind === "terminated" ? (state.message ?? "") : "";
    expect(message.split("\n")).toHaveLength(80);
    expect(message.endsWith("line 199")).toBe(true);
  });

  it("keeps a written message and leaves a success alone", () => {
    const failed = { kind: "terminated" as const, exitCode: 1, reason: "Error" as const, message: "own words", startedAt: t, finishedAt: t };
    expect(withLogFallback(failed, ["log"])).toBe(failed);
    const ok = { kind: "terminated" as const, exitCode: 0, reason: "Completed" as const, startedAt: t, finishedAt: t };
    expect(withLogFallback(ok, ["log"])).toBe(ok);
  });
});
