import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { renderBuildJob } from "../kaniko/render-job.js";
import { deriveBuildStatus } from "./derive-status.js";
import { slimJob, slimPod, type JobLike, type PodLike } from "./k8s-shapes.js";

// Full objects as an API server sends them: the rendered Kaniko Job (pod
// template, args, volumes) with status, and a pod made from its template.
const DIGEST = `sha256:${"cd34".repeat(16)}`;
const { job: rendered } = renderBuildJob(
  {
    buildId: "01jd3k8q9v7x2m4n6p8r0t2x4z",
    tenant: "acme",
    request: {
      context: { type: "git", url: "https://git.example.com/acme/app.git", ref: "main" },
      destinations: ["registry.example.com/acme/app:v1", "registry.example.com/acme/app:latest"],
      buildArgs: { VERSION: "1.2.3", BASE: "debian:bookworm" },
      registryCredentials: { secretName: "regcred" },
    },
  },
  { namespace: "buildfleet", executorImage: `ghcr.io/osscontainertools/kaniko@sha256:${"2".repeat(64)}`, ttlSecondsAfterFinished: 3600, defaultResources: {} },
);

const T0 = "2026-01-01T10:00:00Z";
const T1 = "2026-01-01T10:01:00Z";

function fullJob(status: NonNullable<JobLike["status"]>): JobLike {
  const job = structuredClone(rendered) as JobLike & { metadata: NonNullable<JobLike["metadata"]> };
  job.metadata = {
    ...job.metadata,
    uid: "job-uid-1",
    resourceVersion: "41",
    creationTimestamp: T0,
    annotations: { ...job.metadata.annotations, "kubectl.kubernetes.io/last-applied-configuration": "x".repeat(4000) },
  };
  job.status = status;
  return job;
}

function fullPod(status: NonNullable<V1Pod["status"]>): PodLike {
  const template = rendered.spec?.template;
  return {
    metadata: {
      ...template?.metadata,
      name: `${rendered.metadata?.name ?? ""}-x7k2p`,
      namespace: "buildfleet",
      uid: "pod-uid-1",
      resourceVersion: "40",
      creationTimestamp: T0,
      labels: { ...template?.metadata?.labels, "batch.kubernetes.io/controller-uid": "job-uid-1", "job-name": rendered.metadata?.name ?? "" },
      ownerReferences: [{ uid: "job-uid-1", kind: "Job", name: rendered.metadata?.name ?? "" }],
    },
    spec: { ...template?.spec, nodeName: "node-1" },
    status,
  } as PodLike;
}

const cases: { name: string; job: JobLike; pods: PodLike[] }[] = [
  {
    name: "succeeded with a digest",
    job: fullJob({ succeeded: 1, startTime: T0, completionTime: T1, conditions: [
      { type: "SuccessCriteriaMet", status: "True", lastTransitionTime: T1 },
      { type: "Complete", status: "True", lastTransitionTime: T1 },
    ] }),
    pods: [fullPod({ phase: "Succeeded", startTime: T0 as unknown as Date, containerStatuses: [
      { name: "kaniko", image: "k", imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed", message: DIGEST, startedAt: T0 as unknown as Date, finishedAt: T1 as unknown as Date } } },
    ] })],
  },
  {
    name: "OOMKilled, evicted attempt before it",
    job: fullJob({ failed: 1, startTime: T0, conditions: [
      { type: "FailureTarget", status: "True", reason: "BackoffLimitExceeded" },
      { type: "Failed", status: "True", reason: "BackoffLimitExceeded" },
    ] }),
    pods: [
      fullPod({ phase: "Failed", conditions: [{ type: "DisruptionTarget", status: "True", reason: "EvictionByEvictionAPI" }] }),
      fullPod({ phase: "Failed", containerStatuses: [
        { name: "kaniko", image: "k", imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: "OOMKilled" } } },
      ] }),
    ],
  },
  {
    name: "pending, unschedulable",
    job: fullJob({ active: 1, startTime: T0 }),
    pods: [fullPod({ phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3 nodes are available" }] })],
  },
];

describe("slimJob / slimPod", () => {
  it.each(cases)("derive the same observation as the full objects: $name", ({ job, pods }) => {
    const full = deriveBuildStatus(job, pods);
    expect(deriveBuildStatus(slimJob(job), pods.map(slimPod))).toEqual(full);
  });

  it("keep identity, the build id, the owner's uid, and drop the pod template and unread status", () => {
    const job = cases[0]?.job as JobLike;
    const pod = cases[0]?.pods[0] as PodLike;
    const sj = slimJob(job);
    const sp = slimPod(pod);
    expect(sj.metadata).toMatchObject({ name: rendered.metadata?.name, uid: "job-uid-1", resourceVersion: "41", creationTimestamp: T0 });
    expect(sj.metadata?.annotations?.["buildfleet.dev/build-id"]).toBe("01jd3k8q9v7x2m4n6p8r0t2x4z");
    expect(sj.metadata?.annotations?.["kubectl.kubernetes.io/last-applied-configuration"]).toBeUndefined();
    expect(sj.metadata?.labels).toBeUndefined();
    expect(Object.keys(sj.spec ?? {}).sort()).toEqual(["activeDeadlineSeconds", "backoffLimit"]);
    expect(sp.metadata?.ownerReferences).toEqual([{ uid: "job-uid-1" }]);
    expect(sp.metadata?.labels?.["job-name"]).toBeUndefined();
    expect("spec" in sp).toBe(false);
    expect(JSON.stringify(sj).length * 4).toBeLessThan(JSON.stringify(job).length);
    expect(JSON.stringify(sp).length * 2).toBeLessThan(JSON.stringify(pod).length);
  });

  it("keep the build id label of a Job made without the annotation", () => {
    const sj = slimJob({ metadata: { name: "b-x", labels: { "buildfleet.dev/build-id": "b1", "app.kubernetes.io/managed-by": "buildfleet" } } });
    expect(sj.metadata).toEqual({ name: "b-x", labels: { "buildfleet.dev/build-id": "b1" } });
  });

  it("keep only the conditions and container state derivation reads", () => {
    const sp = slimPod({
      status: {
        phase: "Running",
        conditions: [
          { type: "PodScheduled", status: "True", lastTransitionTime: T0 },
          { type: "Ready", status: "True", lastTransitionTime: T0 },
          { type: "DisruptionTarget", status: "True", reason: "EvictionByEvictionAPI" },
        ],
        containerStatuses: [
          { name: "sidecar", state: { running: { startedAt: T0 } } },
          { name: "kaniko", state: { running: { startedAt: T1 } }, lastState: { terminated: { exitCode: 1 } } },
        ],
      },
    });
    expect(sp.status).toEqual({
      phase: "Running",
      conditions: [{ type: "DisruptionTarget", status: "True", reason: "EvictionByEvictionAPI" }],
      containerStatuses: [{ name: "kaniko", state: { running: { startedAt: T1 } } }],
    });
    const sj = slimJob({ status: { active: 1, conditions: [{ type: "Suspended", status: "False" }, { type: "Failed", status: "True", reason: "DeadlineExceeded" }] } });
    expect(sj.status).toEqual({ active: 1, conditions: [{ type: "Failed", status: "True", reason: "DeadlineExceeded" }] });
  });

  it("leave absent parts absent", () => {
    expect(slimJob({})).toEqual({});
    expect(slimPod({ metadata: { name: "p" } })).toEqual({ metadata: { name: "p" } });
  });
});
