import { describe, expect, it } from "vitest";
import type { PodView } from "./job-status.js";
import {
  backoffDelayMs,
  evaluatePodFailurePolicy,
  jobFinished,
  pastBackoffLimitOnFailure,
  recordedTarget,
  setCondition,
} from "./job-status.js";

const t0 = new Date("2026-01-01T00:00:00.400Z");
const t1 = new Date("2026-01-01T00:01:00Z");

function failedPod(exitCodes: Record<string, number>, conditions: { type: string; status: string }[] = []): PodView {
  return {
    namespace: "ns",
    name: "job-abcde",
    status: {
      phase: "Failed",
      conditions,
      containerStatuses: Object.entries(exitCodes).map(([name, exitCode]) => ({ name, state: { terminated: { exitCode } } })),
    },
  };
}

describe("backoffDelayMs", () => {
  it("doubles from 10 s per counted failure and caps at 6 minutes", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map(backoffDelayMs)).toEqual([
      0, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 360_000, 360_000,
    ]);
  });
});

describe("setCondition", () => {
  it("appends new conditions in order with second-precision times", () => {
    const a = setCondition(undefined, "FailureTarget", "True", "BackoffLimitExceeded", "m", t0);
    const b = setCondition(a, "Failed", "True", "BackoffLimitExceeded", "m", t1);
    expect(b.map((c) => c.type)).toEqual(["FailureTarget", "Failed"]);
    expect(b[0]).toEqual({
      type: "FailureTarget",
      status: "True",
      reason: "BackoffLimitExceeded",
      message: "m",
      lastProbeTime: "2026-01-01T00:00:00Z",
      lastTransitionTime: "2026-01-01T00:00:00Z",
    });
  });

  it("updates in place and moves lastTransitionTime only when the status flips", () => {
    const a = setCondition([], "Suspended", "True", "JobSuspended", "Job suspended", t0);
    const same = setCondition(a, "Suspended", "True", "JobSuspended", "Job suspended", t1);
    expect(same).toEqual(a);
    const resumed = setCondition(a, "Suspended", "False", "JobResumed", "Job resumed", t1);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toMatchObject({ status: "False", reason: "JobResumed", lastTransitionTime: "2026-01-01T00:01:00Z" });
  });
});

describe("jobFinished / recordedTarget", () => {
  it("looks for any terminal condition, not the first one", () => {
    const conditions = setCondition(
      setCondition([], "SuccessCriteriaMet", "True", "CompletionsReached", "x", t0),
      "Complete",
      "True",
      "CompletionsReached",
      "x",
      t0,
    );
    expect(jobFinished({ conditions })).toBe("Complete");
    expect(jobFinished({ conditions: conditions.slice(0, 1) })).toBeUndefined();
    expect(recordedTarget({ conditions: conditions.slice(0, 1) })).toMatchObject({ outcome: "success" });
    expect(jobFinished({ conditions: [{ ...conditions[1]!, type: "Failed", status: "False" }] })).toBeUndefined();
  });
});

describe("evaluatePodFailurePolicy", () => {
  const rules = [
    { action: "FailJob" as const, onExitCodes: { containerName: "main", operator: "In" as const, values: [42] } },
    { action: "Ignore" as const, onPodConditions: [{ type: "DisruptionTarget" }] },
    { action: "Count" as const, onExitCodes: { operator: "NotIn" as const, values: [1] } },
  ];

  it("fails the Job on a matching exit code with the real controller's message", () => {
    expect(evaluatePodFailurePolicy(rules, failedPod({ main: 42 }))).toEqual({
      action: "FailJob",
      message: "Container main for pod ns/job-abcde failed with exit code 42 matching FailJob rule at index 0",
    });
  });

  it("honours containerName and skips exit code 0", () => {
    expect(evaluatePodFailurePolicy(rules, failedPod({ sidecar: 42 })).action).toBe("Count");
    expect(evaluatePodFailurePolicy([{ action: "FailJob", onExitCodes: { operator: "NotIn", values: [1] } }], failedPod({ a: 0, b: 1 })).action).toBe("Count");
  });

  it("ignores a pod with the DisruptionTarget condition", () => {
    expect(evaluatePodFailurePolicy(rules, failedPod({ main: 137 }, [{ type: "DisruptionTarget", status: "True" }])).action).toBe("Ignore");
    expect(evaluatePodFailurePolicy(rules, failedPod({ main: 1 }, [{ type: "DisruptionTarget", status: "False" }])).action).toBe("Count");
  });

  it("names the pod condition in a FailJob message", () => {
    const decision = evaluatePodFailurePolicy(
      [{ action: "FailJob", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }],
      failedPod({ main: 137 }, [{ type: "DisruptionTarget", status: "True" }]),
    );
    expect(decision.message).toBe("Pod ns/job-abcde has condition DisruptionTarget matching FailJob rule at index 0");
  });

  it("counts when there is no policy", () => {
    expect(evaluatePodFailurePolicy(undefined, failedPod({ main: 42 }))).toEqual({ action: "Count" });
  });
});

describe("pastBackoffLimitOnFailure", () => {
  const running = (restartCount: number): PodView => ({
    namespace: "ns",
    name: "p",
    status: { phase: "Running", containerStatuses: [{ name: "main", restartCount }] },
  });
  const spec = (restartPolicy: string, backoffLimit: number) => ({ backoffLimit, template: { spec: { restartPolicy } } });

  it("sums restarts of live pods against backoffLimit, only for OnFailure", () => {
    expect(pastBackoffLimitOnFailure(spec("OnFailure", 3), [running(1), running(1)])).toBe(false);
    expect(pastBackoffLimitOnFailure(spec("OnFailure", 3), [running(2), running(1)])).toBe(true);
    expect(pastBackoffLimitOnFailure(spec("OnFailure", 0), [running(1)])).toBe(true);
    expect(pastBackoffLimitOnFailure(spec("OnFailure", 0), [running(0)])).toBe(false);
    expect(pastBackoffLimitOnFailure(spec("Never", 1), [running(5)])).toBe(false);
  });
});
