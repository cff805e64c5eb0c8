import { describe, expect, it } from "vitest";
import type { PodRuntime } from "./pod-status.js";
import { podEvent } from "./pod-events.js";
import { buildPodStatus, podPhase } from "./pod-status.js";

const t0 = new Date("2026-01-01T00:00:00Z");
const t1 = new Date("2026-01-01T00:00:30Z");

function rt(overrides: Partial<PodRuntime> = {}): PodRuntime {
  return {
    scheduling: { scheduled: true },
    hostIP: "172.18.0.2",
    podIP: "10.244.0.3",
    startTime: t0,
    containers: [{ name: "main", image: "busybox:1.36", state: { kind: "running", startedAt: t0 } }],
    ...overrides,
  };
}

describe("podPhase", () => {
  it("derives the phase from scheduling, containers and disruption", () => {
    expect(podPhase(rt({ scheduling: undefined }))).toBe("Pending");
    expect(podPhase(rt({ scheduling: { scheduled: false, message: "x" } }))).toBe("Pending");
    expect(podPhase(rt({ containers: [{ name: "a", image: "i", state: { kind: "waiting", reason: "ContainerCreating" } }] }))).toBe("Pending");
    expect(podPhase(rt())).toBe("Running");
    const done = (exitCode: number) => ({ kind: "terminated" as const, exitCode, reason: "Completed" as const, startedAt: t0, finishedAt: t1 });
    expect(podPhase(rt({ containers: [{ name: "a", image: "i", state: done(0) }] }))).toBe("Succeeded");
    expect(podPhase(rt({ containers: [{ name: "a", image: "i", state: done(0) }, { name: "b", image: "i", state: done(2) }] }))).toBe("Failed");
    expect(podPhase(rt({ disruption: { reason: "TerminationByKubelet", message: "m" } }))).toBe("Failed");
  });
});

describe("buildPodStatus", () => {
  it("keeps lastTransitionTime of conditions whose status did not change", () => {
    const first = buildPodStatus(rt({ containers: [{ name: "main", image: "i", state: { kind: "waiting", reason: "ContainerCreating" } }] }), [], t0);
    const conditions = first["conditions"] as { type: string; status: string; lastTransitionTime: string }[];
    const second = buildPodStatus(rt(), conditions as never, t1);
    const byType = Object.fromEntries((second["conditions"] as typeof conditions).map((c) => [c.type, c]));
    expect(byType["PodScheduled"]?.lastTransitionTime).toBe("2026-01-01T00:00:00Z");
    expect(byType["Ready"]).toMatchObject({ status: "True", lastTransitionTime: "2026-01-01T00:00:30Z" });
  });

  it("writes an Unschedulable pod with only PodScheduled False", () => {
    const s = buildPodStatus(rt({ scheduling: { scheduled: false, message: "0/1 nodes are available" } }), [], t0);
    expect(s).toEqual({
      phase: "Pending",
      qosClass: "BestEffort",
      conditions: [
        {
          type: "PodScheduled",
          status: "False",
          reason: "Unschedulable",
          message: "0/1 nodes are available",
          lastProbeTime: null,
          lastTransitionTime: "2026-01-01T00:00:00Z",
        },
      ],
    });
  });

  it("puts DisruptionTarget first and reason Evicted on an evicted pod", () => {
    const s = buildPodStatus(
      rt({
        containers: [{ name: "main", image: "i", state: { kind: "terminated", exitCode: 137, reason: "Error", startedAt: t0, finishedAt: t1 } }],
        disruption: { reason: "TerminationByKubelet", message: "low memory", podReason: "Evicted", podMessage: "low memory" },
      }),
      [],
      t1,
    );
    expect(s["phase"]).toBe("Failed");
    expect(s["reason"]).toBe("Evicted");
    expect((s["conditions"] as { type: string; reason?: string }[])[0]).toMatchObject({ type: "DisruptionTarget", reason: "TerminationByKubelet" });
    expect((s["containerStatuses"] as { state: unknown }[])[0]?.state).toEqual({
      terminated: { exitCode: 137, reason: "Error", startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:30Z" },
    });
  });
});

describe("podEvent", () => {
  it("records a Warning about the pod from the scheduler or the kubelet", () => {
    const e = podEvent({ namespace: "ns", name: "p", uid: "u" }, "kubelet", "BackOff", "Back-off pulling image", new Date("2026-01-01T00:00:00.5Z"), "1a");
    expect(e).toMatchObject({
      metadata: { name: "p.1a", namespace: "ns" },
      involvedObject: { apiVersion: "v1", kind: "Pod", namespace: "ns", name: "p", uid: "u" },
      type: "Warning",
      reason: "BackOff",
      source: { component: "kubelet", host: "kubesim-node-1" },
      firstTimestamp: "2026-01-01T00:00:00Z",
    });
  });
});
