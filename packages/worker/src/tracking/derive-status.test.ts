import { describe, expect, it } from "vitest";
import type { ConditionLike, JobLike, PodLike } from "./k8s-shapes.js";
import { attemptCause, deriveBuildStatus, isTerminalPhase, observationAfterJobDeleted } from "./derive-status.js";

const DIGEST = `sha256:${"ab12".repeat(16)}`;
const T0 = "2026-01-01T10:00:00Z";
const T1 = "2026-01-01T10:01:00Z";
const T2 = "2026-01-01T10:02:00Z";

function cond(type: string, reason?: string, message?: string): ConditionLike {
  return { type, status: "True", reason, message, lastTransitionTime: T2 };
}

function job(conditions: ConditionLike[], counts: { succeeded?: number; failed?: number } = {}): JobLike {
  return {
    metadata: { name: "b-x-0123456789", uid: "uid-1" },
    status: { conditions, startTime: T0, ...counts },
  };
}

type PodSpec =
  | { kind: "pending"; waiting?: string; unschedulable?: boolean }
  | { kind: "running" }
  | { kind: "succeeded"; message?: string }
  | { kind: "failed"; exitCode?: number; reason?: string; disrupted?: boolean; message?: string };

function pod(n: number, spec: PodSpec): PodLike {
  const metadata = { name: `b-x-0123456789-p${n}`, creationTimestamp: `2026-01-01T10:0${n}:00Z` };
  switch (spec.kind) {
    case "pending":
      return {
        metadata,
        status: {
          phase: "Pending",
          conditions: spec.unschedulable
            ? [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }]
            : [{ type: "PodScheduled", status: "True" }],
          containerStatuses: spec.waiting ? [{ name: "kaniko", state: { waiting: { reason: spec.waiting } } }] : [],
        },
      };
    case "running":
      return { metadata, status: { phase: "Running", containerStatuses: [{ name: "kaniko", state: { running: { startedAt: T0 } } }] } };
    case "succeeded":
      return {
        metadata,
        status: {
          phase: "Succeeded",
          containerStatuses: [
            {
              name: "kaniko",
              state: { terminated: { exitCode: 0, reason: "Completed", message: spec.message ?? DIGEST, startedAt: T0, finishedAt: T1 } },
            },
          ],
        },
      };
    case "failed":
      return {
        metadata,
        status: {
          phase: "Failed",
          conditions: spec.disrupted ? [{ type: "DisruptionTarget", status: "True", reason: "EvictionByEvictionAPI" }] : [],
          containerStatuses: [
            {
              name: "kaniko",
              state: {
                terminated: {
                  exitCode: spec.exitCode ?? 1,
                  reason: spec.reason ?? "Error",
                  message: spec.message,
                  startedAt: T0,
                  finishedAt: T1,
                },
              },
            },
          ],
        },
      };
  }
}

// Real clusters ≥ 1.31 put the interim condition first; ≤ 1.30 only had the terminal one.
// Each terminal case runs with both orderings (and the reverse, which must not matter either).
const orderings = {
  "1.31+ (interim first)": (interim: ConditionLike, terminal: ConditionLike) => [interim, terminal],
  "reversed (terminal first)": (interim: ConditionLike, terminal: ConditionLike) => [terminal, interim],
  "≤ 1.30 (terminal only)": (_interim: ConditionLike, terminal: ConditionLike) => [terminal],
};

describe("deriveBuildStatus: terminal Jobs, all condition orderings", () => {
  const cases = [
    {
      name: "success with a digest",
      interim: cond("SuccessCriteriaMet"),
      terminal: cond("Complete"),
      counts: { succeeded: 1 },
      pods: [pod(1, { kind: "succeeded" })],
      expected: { phase: "succeeded", digest: DIGEST, failure: undefined },
    },
    {
      name: "complete without a valid digest is DigestMissing",
      interim: cond("SuccessCriteriaMet"),
      terminal: cond("Complete"),
      counts: { succeeded: 1 },
      pods: [pod(1, { kind: "succeeded", message: "not-a-digest" })],
      expected: { phase: "failed", digest: undefined, failure: { reason: "DigestMissing" } },
    },
    {
      name: "backoffLimit exhausted",
      interim: cond("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
      terminal: cond("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
      counts: { failed: 3 },
      pods: [pod(1, { kind: "failed" }), pod(2, { kind: "failed" }), pod(3, { kind: "failed", exitCode: 2 })],
      expected: { phase: "failed", digest: undefined, failure: { reason: "BackoffLimitExceeded" } },
    },
    {
      name: "last attempt OOMKilled",
      interim: cond("FailureTarget", "BackoffLimitExceeded"),
      terminal: cond("Failed", "BackoffLimitExceeded"),
      counts: { failed: 2 },
      pods: [pod(1, { kind: "failed" }), pod(2, { kind: "failed", exitCode: 137, reason: "OOMKilled" })],
      expected: { phase: "failed", digest: undefined, failure: { reason: "OOMKilled" } },
    },
    {
      name: "deadline exceeded",
      interim: cond("FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline"),
      terminal: cond("Failed", "DeadlineExceeded", "Job was active longer than specified deadline"),
      counts: { failed: 1 },
      pods: [pod(1, { kind: "failed", exitCode: 137, reason: "Error" })],
      expected: { phase: "failed", digest: undefined, failure: { reason: "DeadlineExceeded" } },
    },
    {
      name: "pod failure policy FailJob",
      interim: cond("FailureTarget", "PodFailurePolicy"),
      terminal: cond("Failed", "PodFailurePolicy"),
      counts: { failed: 1 },
      pods: [pod(1, { kind: "failed", exitCode: 42 })],
      expected: { phase: "failed", digest: undefined, failure: { reason: "PodFailurePolicy" } },
    },
  ] as const;

  for (const [orderName, order] of Object.entries(orderings)) {
    describe(orderName, () => {
      it.each(cases)("$name", ({ interim, terminal, counts, pods, expected }) => {
        const obs = deriveBuildStatus(job(order(interim, terminal), counts), pods);
        expect(obs.phase).toBe(expected.phase);
        expect(obs.digest).toBe(expected.digest);
        if (expected.failure === undefined) expect(obs.failure).toBeUndefined();
        else expect(obs.failure?.reason).toBe(expected.failure.reason);
        expect(obs.awaitingPodStatus).toBeUndefined();
        expect(obs.finishedAt).toBe(T2);
      });
    });
  }
});

describe("deriveBuildStatus: the (index .status.conditions 0).type habit", () => {
  it("reads a 1.31-style Job mid-termination wrongly, and we do not", () => {
    // FailureTarget is set while the last pod is still terminating; Failed comes only after.
    const midway = job([cond("FailureTarget", "BackoffLimitExceeded")], { failed: 1 });
    const pods = [pod(1, { kind: "failed" }), pod(2, { kind: "running" })];
    const habit = midway.status?.conditions?.[0]?.type;
    expect(habit).toBe("FailureTarget"); // not "Complete": the habit's `== "Failed"` test also misses it

    const obs = deriveBuildStatus(midway, pods);
    expect(isTerminalPhase(obs.phase)).toBe(false);
    // FailureTarget: the Job controller decided no further attempt runs (pod 2 is terminating).
    expect(obs.phase).toBe("failing");
  });

  it("reads a 1.31-style succeeded Job as not complete, and we read it as succeeded", () => {
    const done = job([cond("SuccessCriteriaMet"), cond("Complete")], { succeeded: 1 });
    const habitSaysComplete = done.status?.conditions?.[0]?.type === "Complete";
    expect(habitSaysComplete).toBe(false); // the habit waits forever (or reports failure)
    expect(deriveBuildStatus(done, [pod(1, { kind: "succeeded" })]).phase).toBe("succeeded");
  });

  it("does not finish on a condition whose status is False", () => {
    const j = job([{ type: "Complete", status: "False" }, { type: "Failed", status: "False" }]);
    expect(deriveBuildStatus(j, [pod(1, { kind: "running" })]).phase).toBe("running");
  });
});

describe("deriveBuildStatus: Jobs still running", () => {
  it.each([
    { name: "no pod yet", pods: [], phase: "pending", pendingReason: undefined },
    { name: "pod being created", pods: [pod(1, { kind: "pending", waiting: "ContainerCreating" })], phase: "pending", pendingReason: undefined },
    { name: "unschedulable", pods: [pod(1, { kind: "pending", unschedulable: true })], phase: "pending", pendingReason: "Unschedulable" },
    { name: "image pull back-off", pods: [pod(1, { kind: "pending", waiting: "ImagePullBackOff" })], phase: "pending", pendingReason: "ImagePullBackOff" },
    { name: "err image pull", pods: [pod(1, { kind: "pending", waiting: "ErrImagePull" })], phase: "pending", pendingReason: "ImagePullBackOff" },
    { name: "running", pods: [pod(1, { kind: "running" })], phase: "running", pendingReason: undefined },
    { name: "one failure, next pod running", pods: [pod(1, { kind: "failed" }), pod(2, { kind: "running" })], phase: "retrying", pendingReason: undefined },
    {
      name: "one failure, next pod unschedulable",
      pods: [pod(1, { kind: "failed" }), pod(2, { kind: "pending", unschedulable: true })],
      phase: "retrying",
      pendingReason: "Unschedulable",
    },
    {
      name: "evicted pod, replacement running (eviction is not a retry)",
      pods: [pod(1, { kind: "failed", exitCode: 143, disrupted: true }), pod(2, { kind: "running" })],
      phase: "running",
      pendingReason: undefined,
    },
  ])("$name → $phase", ({ pods, phase, pendingReason }) => {
    const obs = deriveBuildStatus(job([]), pods);
    expect(obs.phase).toBe(phase);
    expect(obs.pendingReason).toBe(pendingReason);
  });

  // The Job controller fails the Job once `failed > backoffLimit`; the failed pod shows up
  // before the Failed condition does (separate watches), and that moment is not a retry.
  it.each([
    { name: "retries: 0, the only attempt failed", backoffLimit: 0, pods: [pod(1, { kind: "failed" })] },
    {
      name: "retries: 2, the third attempt failed",
      backoffLimit: 2,
      pods: [pod(1, { kind: "failed" }), pod(2, { kind: "failed" }), pod(3, { kind: "failed" })],
    },
  ])("does not call a build retrying when backoffLimit allows no further attempt ($name)", ({ backoffLimit, pods }) => {
    const j: JobLike = { ...job([]), spec: { backoffLimit } };
    const obs = deriveBuildStatus(j, pods);
    expect(obs.phase).toBe("failing");
    expect(isTerminalPhase(obs.phase)).toBe(false);
  });

  it("still calls a build retrying while backoffLimit allows another attempt", () => {
    const j: JobLike = { ...job([]), spec: { backoffLimit: 2 } };
    expect(deriveBuildStatus(j, [pod(1, { kind: "failed" }), pod(2, { kind: "failed" })]).phase).toBe("retrying");
  });

  it("does not call a build retrying once the Job is failing (FailureTarget or Failed awaiting pods)", () => {
    const pods = [pod(1, { kind: "failed" })];
    expect(deriveBuildStatus(job([cond("FailureTarget", "BackoffLimitExceeded")], { failed: 1 }), pods).phase).toBe("failing");
    // Failed with a pod count the pods in view do not show yet: not terminal, and not retrying either.
    const awaiting = deriveBuildStatus(job([cond("Failed", "BackoffLimitExceeded")], { failed: 2 }), pods);
    expect(awaiting).toMatchObject({ phase: "failing", awaitingPodStatus: true });
  });

  it("does not count a disrupted pod as a failed attempt", () => {
    const obs = deriveBuildStatus(job([]), [pod(1, { kind: "failed", disrupted: true }), pod(2, { kind: "failed" })]);
    expect(obs.failedAttempts).toBe(1);
    expect(obs.attempts.map((a) => a.disrupted)).toEqual([true, false]);
  });
});

describe("deriveBuildStatus: attempts", () => {
  it("lists attempts in creation order with exit code, reason, message and times", () => {
    const pods = [pod(2, { kind: "failed", exitCode: 137, reason: "OOMKilled" }), pod(1, { kind: "failed", message: "error building image" })];
    const obs = deriveBuildStatus(job([]), pods);
    expect(obs.attempts).toEqual([
      expect.objectContaining({ index: 1, podName: "b-x-0123456789-p1", exitCode: 1, reason: "Error", message: "error building image", startedAt: T0, finishedAt: T1 }),
      expect.objectContaining({ index: 2, podName: "b-x-0123456789-p2", exitCode: 137, reason: "OOMKilled" }),
    ]);
  });

  it("accepts client-node objects whose times are Date instances", () => {
    const p: PodLike = {
      metadata: { name: "p", creationTimestamp: new Date(T0) },
      status: {
        phase: "Succeeded",
        containerStatuses: [{ name: "kaniko", state: { terminated: { exitCode: 0, message: DIGEST, startedAt: new Date(T0), finishedAt: new Date(T1) } } }],
      },
    };
    const obs = deriveBuildStatus({ status: { conditions: [cond("Complete")], succeeded: 1, completionTime: new Date(T2) } }, [p]);
    expect(obs).toMatchObject({ phase: "succeeded", digest: DIGEST, finishedAt: "2026-01-01T10:02:00.000Z" });
    expect(obs.attempts[0]).toMatchObject({ startedAt: "2026-01-01T10:00:00.000Z", finishedAt: "2026-01-01T10:01:00.000Z" });
  });

  it("reads the digest from the kaniko container, not a sidecar", () => {
    const p = pod(1, { kind: "succeeded" });
    p.status?.containerStatuses?.unshift({ name: "sidecar", state: { terminated: { exitCode: 0, message: "hello" } } });
    expect(deriveBuildStatus(job([cond("Complete")], { succeeded: 1 }), [p]).digest).toBe(DIGEST);
  });
});

describe("deriveBuildStatus: Job finished before its pods show it", () => {
  it("waits for the pod status instead of reporting DigestMissing too early", () => {
    const j = job([cond("SuccessCriteriaMet"), cond("Complete")], { succeeded: 1 });
    const stale = [pod(1, { kind: "running" })];
    const obs = deriveBuildStatus(j, stale);
    expect(obs.phase).toBe("running");
    expect(obs.awaitingPodStatus).toBe(true);
    expect(deriveBuildStatus(j, [pod(1, { kind: "succeeded" })]).phase).toBe("succeeded");
  });

  it("waits before calling a failure that the pods may refine (OOMKilled)", () => {
    const j = job([cond("Failed", "BackoffLimitExceeded")], { failed: 2 });
    const stale = [pod(1, { kind: "failed" }), pod(2, { kind: "running" })];
    expect(deriveBuildStatus(j, stale).awaitingPodStatus).toBe(true);
    const fresh = [pod(1, { kind: "failed" }), pod(2, { kind: "failed", exitCode: 137, reason: "OOMKilled" })];
    expect(deriveBuildStatus(j, fresh).failure?.reason).toBe("OOMKilled");
  });

  it("decides with what it has once the pods are final (e.g. deleted by TTL)", () => {
    const j = job([cond("Complete")], { succeeded: 1 });
    expect(deriveBuildStatus(j, [], { podsFinal: true })).toMatchObject({ phase: "failed", failure: { reason: "DigestMissing" } });
    const f = job([cond("Failed", "BackoffLimitExceeded")], { failed: 1 });
    expect(deriveBuildStatus(f, [], { podsFinal: true })).toMatchObject({ phase: "failed", failure: { reason: "BackoffLimitExceeded" } });
  });
});

describe("observationAfterJobDeleted", () => {
  it("keeps a terminal observation (TTL cleanup after the end is normal)", () => {
    const done = deriveBuildStatus(job([cond("Complete")], { succeeded: 1 }), [pod(1, { kind: "succeeded" })]);
    expect(observationAfterJobDeleted(done)).toBe(done);
  });

  it("turns a running build into failed/JobDeleted", () => {
    const running = deriveBuildStatus(job([]), [pod(1, { kind: "running" })]);
    expect(observationAfterJobDeleted(running)).toMatchObject({ phase: "failed", failure: { reason: "JobDeleted" }, attempts: running.attempts });
    expect(observationAfterJobDeleted(undefined)).toMatchObject({ phase: "failed", failure: { reason: "JobDeleted" } });
  });
});

describe("deriveBuildStatus: a failure says why", () => {
  it("carries the last attempt's exit code and termination message, keeping BackoffLimitExceeded as the reason", () => {
    const pods = [
      pod(1, { kind: "failed", message: "error building image: RUN exited 1" }),
      pod(2, { kind: "failed", message: "INFO pushing\nerror pushing image: failed to push to destination registry.internal:5000/a:v1: 401 Unauthorized" }),
    ];
    const obs = deriveBuildStatus(job([cond("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")], { failed: 2 }), pods);
    expect(obs.failure?.reason).toBe("BackoffLimitExceeded");
    expect(obs.failure?.message).toBe(
      "last attempt (pod b-x-0123456789-p2) exited 1: INFO pushing | error pushing image: failed to push to destination registry.internal:5000/a:v1: 401 Unauthorized (Job has reached the specified backoff limit)",
    );
  });

  it("bounds a long termination message to its end", () => {
    const cause = attemptCause({ index: 1, podName: "p", exitCode: 2, disrupted: false, message: `${"x".repeat(2_000)}\nthe end` });
    expect(cause.length).toBeLessThan(700);
    expect(cause.endsWith("the end")).toBe(true);
  });
});
