// Pure pieces of the Job controller: conditions, pod failure policy, backoff and
// the Job's view of its pods. No store, no clock: callers pass `now`.

export interface JobCondition {
  type: string;
  status: "True" | "False";
  reason: string;
  message: string;
  lastProbeTime: string;
  lastTransitionTime: string;
}

export interface JobStatus {
  active?: number;
  ready?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  startTime?: string;
  completionTime?: string;
  conditions?: JobCondition[];
  uncountedTerminatedPods?: unknown;
  [key: string]: unknown;
}

export interface PodFailurePolicyRule {
  action: "FailJob" | "Ignore" | "Count" | "FailIndex";
  onExitCodes?: { containerName?: string; operator: "In" | "NotIn"; values: number[] };
  onPodConditions?: { type: string; status?: string }[];
}

export interface JobSpec {
  parallelism?: number;
  completions?: number;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  suspend?: boolean;
  ttlSecondsAfterFinished?: number;
  podFailurePolicy?: { rules?: PodFailurePolicyRule[] };
  selector?: { matchLabels?: Record<string, string> };
  template?: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: { restartPolicy?: string; [key: string]: unknown };
  };
  [key: string]: unknown;
}

export const DEFAULT_BACKOFF_LIMIT = 6;
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 6 * 60_000;

/** The real controller's pod re-creation delay after `failures` counted failures: 10 s, 20 s, 40 s … capped at 6 min. */
export function backoffDelayMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(failures - 1, 30));
}

/** Kubernetes timestamps are RFC 3339 with second precision. */
export function kubeTime(d: Date): string {
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export function findCondition(status: JobStatus | undefined, type: string): JobCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function hasTrueCondition(status: JobStatus | undefined, type: string): boolean {
  return findCondition(status, type)?.status === "True";
}

/** A Job is finished once it carries a terminal condition — what clients must check, never conditions[0]. */
export function jobFinished(status: JobStatus | undefined): "Complete" | "Failed" | undefined {
  if (hasTrueCondition(status, "Complete")) return "Complete";
  if (hasTrueCondition(status, "Failed")) return "Failed";
  return undefined;
}

/**
 * Returns a new condition list where `type` has the given status: an existing
 * condition is updated in place (keeping its position, moving lastTransitionTime
 * only when the status flips); a new one is appended.
 */
export function setCondition(
  conditions: readonly JobCondition[] | undefined,
  type: string,
  status: "True" | "False",
  reason: string,
  message: string,
  now: Date,
): JobCondition[] {
  const list = [...(conditions ?? [])];
  const at = kubeTime(now);
  const index = list.findIndex((c) => c.type === type);
  const existing = index >= 0 ? list[index] : undefined;
  if (existing !== undefined) {
    if (existing.status === status && existing.reason === reason && existing.message === message) return list;
    list[index] = {
      type,
      status,
      reason,
      message,
      lastProbeTime: at,
      lastTransitionTime: existing.status === status ? existing.lastTransitionTime : at,
    };
    return list;
  }
  list.push({ type, status, reason, message, lastProbeTime: at, lastTransitionTime: at });
  return list;
}

/** Why a Job is finishing; `interim` is the 1.31+ condition written before the terminal one. */
export interface FinishTarget {
  outcome: "success" | "failure";
  reason: string;
  message: string;
}

export function interimConditionType(target: FinishTarget): "SuccessCriteriaMet" | "FailureTarget" {
  return target.outcome === "success" ? "SuccessCriteriaMet" : "FailureTarget";
}

export function terminalConditionType(target: FinishTarget): "Complete" | "Failed" {
  return target.outcome === "success" ? "Complete" : "Failed";
}

export const COMPLETIONS_REACHED: FinishTarget = {
  outcome: "success",
  reason: "CompletionsReached",
  message: "Reached expected number of succeeded pods",
};
export const BACKOFF_LIMIT_EXCEEDED: FinishTarget = {
  outcome: "failure",
  reason: "BackoffLimitExceeded",
  message: "Job has reached the specified backoff limit",
};
export const DEADLINE_EXCEEDED: FinishTarget = {
  outcome: "failure",
  reason: "DeadlineExceeded",
  message: "Job was active longer than specified deadline",
};

/** The finish target recorded by an interim condition (1.31+ mode), if any. */
export function recordedTarget(status: JobStatus | undefined): FinishTarget | undefined {
  const success = findCondition(status, "SuccessCriteriaMet");
  if (success?.status === "True") return { outcome: "success", reason: success.reason, message: success.message };
  const failure = findCondition(status, "FailureTarget");
  if (failure?.status === "True") return { outcome: "failure", reason: failure.reason, message: failure.message };
  return undefined;
}

/** Minimal view of a pod for the policy: its status as written by the kubelet. */
export interface PodView {
  namespace: string;
  name: string;
  status?: {
    phase?: string;
    conditions?: { type?: string; status?: string }[];
    containerStatuses?: { name?: string; restartCount?: number; state?: { terminated?: { exitCode?: number } } }[];
    initContainerStatuses?: { restartCount?: number }[];
  };
}

export interface PolicyDecision {
  action: "FailJob" | "Ignore" | "Count";
  /** Set for FailJob: the Job's FailureTarget/Failed message, worded like the real controller's. */
  message?: string;
}

/** Applies `podFailurePolicy` rules in order to a Failed pod; no rule matches → Count. */
export function evaluatePodFailurePolicy(
  rules: readonly PodFailurePolicyRule[] | undefined,
  pod: PodView,
): PolicyDecision {
  for (const [index, rule] of (rules ?? []).entries()) {
    const action = rule.action === "FailIndex" ? "Count" : rule.action;
    if (rule.onExitCodes !== undefined) {
      const { containerName, operator, values } = rule.onExitCodes;
      // Exit code 0 never matches: a container that succeeded is not a failure cause.
      const hit = (pod.status?.containerStatuses ?? []).find((cs) => {
        const code = cs.state?.terminated?.exitCode;
        if (code === undefined || code === 0) return false;
        if (containerName !== undefined && cs.name !== containerName) return false;
        return operator === "In" ? values.includes(code) : !values.includes(code);
      });
      if (hit !== undefined) {
        return action === "FailJob"
          ? {
              action,
              message: `Container ${hit.name ?? ""} for pod ${pod.namespace}/${pod.name} failed with exit code ${hit.state?.terminated?.exitCode ?? 0} matching FailJob rule at index ${index}`,
            }
          : { action };
      }
    }
    if (rule.onPodConditions !== undefined) {
      const hit = rule.onPodConditions.find((pattern) =>
        (pod.status?.conditions ?? []).some(
          (c) => c.type === pattern.type && c.status === (pattern.status ?? "True"),
        ),
      );
      if (hit !== undefined) {
        return action === "FailJob"
          ? {
              action,
              message: `Pod ${pod.namespace}/${pod.name} has condition ${hit.type} matching FailJob rule at index ${index}`,
            }
          : { action };
      }
    }
  }
  return { action: "Count" };
}

export function isPodTerminal(pod: PodView): boolean {
  return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}

export function isPodReady(pod: PodView): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

/** The labels the real controller puts on a Job's pods (and defaults into the Job's selector). */
export function jobPodLabels(jobName: string, uid: string): Record<string, string> {
  return {
    "batch.kubernetes.io/controller-uid": uid,
    "batch.kubernetes.io/job-name": jobName,
    "controller-uid": uid,
    "job-name": jobName,
  };
}

/**
 * With restartPolicy OnFailure failures are container restarts inside live pods;
 * the real controller fails the Job once their sum reaches backoffLimit
 * (any restart when backoffLimit is 0) — see pastBackoffLimitOnFailure upstream.
 */
export function pastBackoffLimitOnFailure(spec: JobSpec, pods: readonly PodView[]): boolean {
  if (spec.template?.spec?.restartPolicy !== "OnFailure") return false;
  let restarts = 0;
  for (const pod of pods) {
    if (pod.status?.phase !== "Running" && pod.status?.phase !== "Pending") continue;
    for (const cs of [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])]) {
      restarts += cs.restartCount ?? 0;
    }
  }
  const limit = spec.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}
