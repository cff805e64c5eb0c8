// Pure builders for the objects the Job controller writes: the pod made from a
// Job's template and the Events it records. Shapes follow the real controller.
import type { KubeObject } from "../store/types.js";
import type { JobSpec, PodView } from "./job-status.js";
import { jobPodLabels } from "./job-status.js";

/** The pod the controller creates for `job`: template labels plus the Job's, owner reference, tracking annotation. */
export function podForJob(job: KubeObject, spec: JobSpec): KubeObject {
  const name = job.metadata.name ?? "";
  const uid = job.metadata.uid ?? "";
  const templateMeta = spec.template?.metadata ?? {};
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      // The API server appends 5 random characters: <job>-xxxxx.
      generateName: `${name}-`,
      namespace: job.metadata.namespace,
      labels: { ...templateMeta.labels, ...jobPodLabels(name, uid) },
      annotations: { ...templateMeta.annotations, "batch.kubernetes.io/job-tracking": "" },
      ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name, uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(spec.template?.spec ?? {}),
  };
}

/**
 * A core/v1 Event about `job`. `nameSuffix` is the recorder's hex timestamp:
 * real event names are `<object>.<unix nanos in hex>`, so they sort by time.
 */
export function jobEvent(
  job: KubeObject,
  type: "Normal" | "Warning",
  reason: string,
  message: string,
  now: Date,
  nameSuffix: string,
): KubeObject {
  const ns = job.metadata.namespace ?? "default";
  const at = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${job.metadata.name ?? "job"}.${nameSuffix}`, namespace: ns },
    involvedObject: {
      apiVersion: "batch/v1",
      kind: "Job",
      namespace: ns,
      name: job.metadata.name,
      uid: job.metadata.uid,
      resourceVersion: job.metadata.resourceVersion,
    },
    reason,
    message,
    type,
    source: { component: "job-controller" },
    firstTimestamp: at,
    lastTimestamp: at,
    eventTime: null,
    count: 1,
    reportingComponent: "job-controller",
    reportingInstance: "",
  };
}

export function podOwnerJob(pod: KubeObject): { name: string; uid: string } | undefined {
  const ref = pod.metadata.ownerReferences?.find((o) => o.controller === true && o.kind === "Job");
  return ref === undefined ? undefined : { name: ref.name, uid: ref.uid };
}

export function asPodView(pod: KubeObject): PodView {
  return {
    namespace: pod.metadata.namespace ?? "",
    name: pod.metadata.name ?? "",
    status: pod["status"] as PodView["status"],
  };
}
