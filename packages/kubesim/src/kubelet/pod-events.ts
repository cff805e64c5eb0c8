// Pure builders for the Warning events the scheduler and kubelet record about
// a pod in trouble (FailedScheduling, image pull failures, eviction), so that
// `kubectl describe pod` and event-based diagnostics look as on a cluster.
// Routine events (Scheduled, Pulled, Started…) are left out: they would cost
// several store writes per pod on the hot path for no behaviour.
import type { KubeObject } from "../store/types.js";

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

export function podEvent(
  pod: PodRef,
  component: "default-scheduler" | "kubelet",
  reason: string,
  message: string,
  now: Date,
  nameSuffix: string,
): KubeObject {
  const at = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${pod.name}.${nameSuffix}`, namespace: pod.namespace },
    involvedObject: { apiVersion: "v1", kind: "Pod", namespace: pod.namespace, name: pod.name, uid: pod.uid },
    reason,
    message,
    type: "Warning",
    source: component === "kubelet" ? { component, host: "kubesim-node-1" } : { component },
    firstTimestamp: at,
    lastTimestamp: at,
    eventTime: null,
    count: 1,
    reportingComponent: component,
    reportingInstance: component === "kubelet" ? "kubesim-node-1" : "",
  };
}
