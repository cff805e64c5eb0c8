import { describe, expect, it } from "vitest";
import type { KubeObject } from "../store/types.js";
import { jobEvent, podForJob, podOwnerJob } from "./job-objects.js";

const job: KubeObject = {
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name: "build-image", namespace: "builds", uid: "u-1", resourceVersion: "7" },
  spec: {},
};
const spec = {
  template: {
    metadata: { labels: { app: "kaniko" }, annotations: { team: "a" } },
    spec: { restartPolicy: "Never", containers: [{ name: "kaniko", image: "gcr.io/kaniko-project/executor:v1.23.2" }] },
  },
};

describe("podForJob", () => {
  it("builds the pod the real controller creates: labels, tracking annotation, controller owner reference, copied spec", () => {
    const pod = podForJob(job, spec);
    expect(pod.metadata).toEqual({
      generateName: "build-image-",
      namespace: "builds",
      labels: {
        app: "kaniko",
        "batch.kubernetes.io/controller-uid": "u-1",
        "batch.kubernetes.io/job-name": "build-image",
        "controller-uid": "u-1",
        "job-name": "build-image",
      },
      annotations: { team: "a", "batch.kubernetes.io/job-tracking": "" },
      ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "build-image", uid: "u-1", controller: true, blockOwnerDeletion: true }],
    });
    expect(pod["spec"]).toEqual(spec.template.spec);
    expect(pod["spec"]).not.toBe(spec.template.spec);
    expect(podOwnerJob(pod)).toEqual({ name: "build-image", uid: "u-1" });
  });
});

describe("jobEvent", () => {
  it("names the event <job>.<suffix> and points involvedObject at the Job", () => {
    const e = jobEvent(job, "Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit", new Date("2026-01-01T00:00:01.250Z"), "abc");
    expect(e).toMatchObject({
      metadata: { name: "build-image.abc", namespace: "builds" },
      involvedObject: { apiVersion: "batch/v1", kind: "Job", name: "build-image", namespace: "builds", uid: "u-1" },
      type: "Warning",
      reason: "BackoffLimitExceeded",
      source: { component: "job-controller" },
      firstTimestamp: "2026-01-01T00:00:01Z",
      count: 1,
    });
  });
});
