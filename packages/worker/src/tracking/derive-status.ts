import type { FailureReason } from "@buildfleet/contract";
import { KANIKO_CONTAINER_NAME } from "../kaniko/labels.js";
import type { ConditionLike, ContainerStatusLike, JobLike, PodLike } from "./k8s-shapes.js";
import { toIso } from "./k8s-shapes.js";

/**
 * Pure derivation of a build's status from its Job and the Job's Pods.
 *
 * Rules that are easy to get wrong (see KNOWN-PITFALLS.md):
 * - A Job is finished ONLY when a `Complete` or `Failed` condition has status "True".
 *   Since Kubernetes 1.31 the first condition is `SuccessCriteriaMet` / `FailureTarget`,
 *   so reading `conditions[0].type` gives the wrong answer; we look the types up.
 * - A pod with a `DisruptionTarget` condition was evicted/preempted/drained; our
 *   podFailurePolicy ignores it, so it is not a failed attempt and does not mean "retrying".
 * - Success needs a digest: kaniko writes it to /dev/termination-log, i.e. the kaniko
 *   container's `terminated.message`. Complete without `sha256:<64 hex>` is `DigestMissing`.
 */

/** The failure reasons derivation can produce: checked against the contract's `FailureReason`. */
export const DERIVED_FAILURE_REASONS = [
  "BackoffLimitExceeded",
  "DeadlineExceeded",
  "PodFailurePolicy",
  "DigestMissing",
  "OOMKilled",
  "JobDeleted",
  "InfrastructureError",
] as const satisfies readonly FailureReason[];
export type DerivedFailureReason = (typeof DERIVED_FAILURE_REASONS)[number];

/**
 * `failing`: an attempt failed and no further attempt is allowed (`failed > backoffLimit`,
 * or the Job controller already set FailureTarget/Failed); the terminal condition or the
 * pods that confirm it are on their way. Not terminal, and not a retry either.
 */
export type BuildPhase = "pending" | "running" | "retrying" | "failing" | "succeeded" | "failed";
export type PendingReason = "Unschedulable" | "ImagePullBackOff";

export interface AttemptObservation {
  /** 1-based, in pod creation order. */
  index: number;
  podName: string;
  podPhase?: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  /** Completed / Error / OOMKilled / Evicted / DeadlineExceeded / … */
  reason?: string;
  message?: string;
  /** Unschedulable / ImagePullBackOff / ErrImagePull / ContainerCreating / … while not started. */
  waitingReason?: string;
  /** Evicted/preempted (DisruptionTarget): ignored by the podFailurePolicy, not a failed attempt. */
  disrupted: boolean;
}

export interface BuildObservation {
  phase: BuildPhase;
  jobName?: string;
  jobUid?: string;
  attempts: AttemptObservation[];
  /** Attempts that failed and count against backoffLimit (disrupted pods excluded). */
  failedAttempts: number;
  digest?: string;
  failure?: { reason: DerivedFailureReason; message: string };
  /** Set while the current attempt cannot start: counts against the QUEUE timeout. */
  pendingReason?: PendingReason;
  startedAt?: string;
  finishedAt?: string;
  /**
   * The Job is finished but the pods in view do not yet show it (the Job and Pod
   * watches are separate streams, so the Job's terminal event can arrive first).
   * `phase` stays non-terminal; re-derive when pods change, or with
   * `{ podsFinal: true }` after a grace period if they never do (pods TTL'd/deleted).
   */
  awaitingPodStatus?: true;
}

/**
 * The Job disappeared. After a terminal observation that is normal (TTL cleanup) and
 * the last observation stands; before it, someone deleted the Job (a cancel, an
 * operator): failed with `JobDeleted` — the caller decides whether it was a cancel.
 */
export function observationAfterJobDeleted(last: BuildObservation | undefined): BuildObservation {
  if (last !== undefined && isTerminalPhase(last.phase)) return last;
  const obs: BuildObservation = {
    ...(last ?? { attempts: [], failedAttempts: 0 }),
    phase: "failed",
    failure: { reason: "JobDeleted", message: "the Job was deleted before it finished" },
  };
  delete obs.pendingReason;
  delete obs.awaitingPodStatus;
  return obs;
}

export interface DeriveOptions {
  /** Treat the pods given as all there will ever be (no more pod events are coming). */
  podsFinal?: boolean;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function isTerminalPhase(phase: BuildPhase): phase is "succeeded" | "failed" {
  return phase === "succeeded" || phase === "failed";
}

function trueCondition(conditions: ConditionLike[] | undefined, type: string): ConditionLike | undefined {
  return conditions?.find((c) => c.type === type && c.status === "True");
}

function kanikoStatus(pod: PodLike): ContainerStatusLike | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  return statuses.find((s) => s.name === KANIKO_CONTAINER_NAME) ?? statuses[0];
}

function isDisrupted(pod: PodLike): boolean {
  return trueCondition(pod.status?.conditions, "DisruptionTarget") !== undefined;
}

function podWaitingReason(pod: PodLike, status: ContainerStatusLike | undefined): string | undefined {
  const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") return "Unschedulable";
  return status?.state?.waiting?.reason;
}

function toAttempt(pod: PodLike, index: number): AttemptObservation {
  const status = kanikoStatus(pod);
  const terminated = status?.state?.terminated;
  const disrupted = isDisrupted(pod);
  const podPhase = pod.status?.phase;
  const attempt: AttemptObservation = {
    index,
    podName: pod.metadata?.name ?? "",
    disrupted,
  };
  if (podPhase !== undefined) attempt.podPhase = podPhase;
  const startedAt = toIso(terminated?.startedAt ?? status?.state?.running?.startedAt);
  if (startedAt !== undefined) attempt.startedAt = startedAt;
  const finishedAt = toIso(terminated?.finishedAt);
  if (finishedAt !== undefined) attempt.finishedAt = finishedAt;
  if (terminated !== undefined) attempt.exitCode = terminated.exitCode;

  // The container's reason says most (OOMKilled beats a pod-level "Evicted");
  // a pod killed before its container ran only has the pod-level reason.
  const reason = terminated?.reason ?? pod.status?.reason;
  if (reason !== undefined) attempt.reason = reason;
  else if (disrupted) attempt.reason = "Evicted";
  // The kaniko termination message is the digest on success; on failure it may be an error text.
  const message = terminated?.message ?? pod.status?.message;
  if (message !== undefined && message !== "") attempt.message = message.trim();

  if (terminated === undefined && podPhase !== "Succeeded" && podPhase !== "Failed") {
    const waiting = podWaitingReason(pod, status);
    if (waiting !== undefined) attempt.waitingReason = waiting;
  }
  return attempt;
}

function creationKey(pod: PodLike): string {
  return toIso(pod.metadata?.creationTimestamp) ?? "";
}

function orderPods(pods: readonly PodLike[]): PodLike[] {
  return [...pods].sort((a, b) => {
    const byTime = creationKey(a).localeCompare(creationKey(b));
    return byTime !== 0 ? byTime : (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
  });
}

function isFinishedPod(pod: PodLike): boolean {
  return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}

function pendingReasonOf(waitingReason: string | undefined): PendingReason | undefined {
  if (waitingReason === "Unschedulable") return "Unschedulable";
  if (waitingReason === "ImagePullBackOff" || waitingReason === "ErrImagePull") return "ImagePullBackOff";
  return undefined;
}

/** Lines of a termination message (or log tail) quoted in a failure message. */
const CAUSE_MAX_LINES = 5;
const CAUSE_MAX_CHARS = 600;

/**
 * What one failed attempt said about itself: exit code and container reason,
 * then the end of its termination message (Kaniko's error; with
 * FallbackToLogsOnError the log tail), bounded.
 */
export function attemptCause(a: AttemptObservation): string {
  const head = `last attempt (pod ${a.podName})${a.exitCode !== undefined ? ` exited ${a.exitCode}` : " failed"}${a.reason && a.reason !== "Error" ? ` (${a.reason})` : ""}`;
  if (a.message === undefined || a.message === "") return head;
  const lines = a.message.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "");
  let tail = lines.slice(-CAUSE_MAX_LINES).join(" | ");
  if (tail.length > CAUSE_MAX_CHARS) tail = `…${tail.slice(-CAUSE_MAX_CHARS)}`;
  return `${head}: ${tail}`;
}

function failureFromCondition(
  failed: ConditionLike,
  attempts: readonly AttemptObservation[],
): { reason: DerivedFailureReason; message: string } {
  const message = failed.message ?? failed.reason ?? "Job failed";
  const lastCounted = [...attempts].reverse().find((a) => !a.disrupted && a.podPhase === "Failed");
  switch (failed.reason) {
    case "DeadlineExceeded":
      return { reason: "DeadlineExceeded", message };
    case "PodFailurePolicy":
      return { reason: "PodFailurePolicy", message };
    case "BackoffLimitExceeded":
      // Retries ran out; if the last attempt was OOM-killed that is the actionable cause.
      if (lastCounted?.reason === "OOMKilled") {
        return { reason: "OOMKilled", message: `${message}; last attempt (pod ${lastCounted.podName}) was OOMKilled` };
      }
      // The condition only says retries ran out; the last attempt's own words say why.
      return { reason: "BackoffLimitExceeded", message: lastCounted ? `${attemptCause(lastCounted)} (${message})` : message };
    default:
      return { reason: "InfrastructureError", message: `Job failed with reason ${failed.reason ?? "unknown"}: ${message}` };
  }
}

/**
 * Whether the Job controller will start another pod after `failedAttempts` failures:
 * it fails the Job once `failed > backoffLimit` (Kubernetes' default limit is 6), and
 * never after it set FailureTarget (1.31+) or Failed.
 */
function anotherAttemptAllowed(job: JobLike, failedAttempts: number): boolean {
  const conditions = job.status?.conditions;
  if (trueCondition(conditions, "FailureTarget") !== undefined || trueCondition(conditions, "Failed") !== undefined) return false;
  return failedAttempts <= (job.spec?.backoffLimit ?? 6);
}

export function deriveBuildStatus(job: JobLike, pods: readonly PodLike[], opts: DeriveOptions = {}): BuildObservation {
  const attempts = orderPods(pods).map((pod, i) => toAttempt(pod, i + 1));
  const failedAttempts = attempts.filter((a) => a.podPhase === "Failed" && !a.disrupted).length;
  const conditions = job.status?.conditions;
  const obs: BuildObservation = { phase: "pending", attempts, failedAttempts };
  if (job.metadata?.name !== undefined) obs.jobName = job.metadata.name;
  if (job.metadata?.uid !== undefined) obs.jobUid = job.metadata.uid;
  const startedAt = attempts.find((a) => a.startedAt !== undefined)?.startedAt ?? toIso(job.status?.startTime);
  if (startedAt !== undefined) obs.startedAt = startedAt;

  // Terminal only on Complete/Failed == True, wherever they sit in the list.
  const complete = trueCondition(conditions, "Complete");
  const failed = trueCondition(conditions, "Failed");
  const terminal = failed ?? complete;
  if (terminal !== undefined) {
    // The Job controller counted these pods as finished; until we see as many, pod data is stale.
    const expectedFinished = (job.status?.succeeded ?? 0) + (job.status?.failed ?? 0);
    const seenFinished = pods.filter(isFinishedPod).length;
    const podsSettled = opts.podsFinal === true || seenFinished >= expectedFinished;
    const finishedAt = toIso(job.status?.completionTime) ?? toIso(terminal.lastTransitionTime);

    if (failed !== undefined) {
      if (podsSettled) {
        obs.phase = "failed";
        obs.failure = failureFromCondition(failed, attempts);
        if (finishedAt !== undefined) obs.finishedAt = finishedAt;
        return obs;
      }
    } else if (complete !== undefined) {
      const winner = [...attempts].reverse().find((a) => a.podPhase === "Succeeded" || a.exitCode === 0);
      if (winner !== undefined || podsSettled) {
        if (finishedAt !== undefined) obs.finishedAt = finishedAt;
        const digest = winner?.message;
        if (digest !== undefined && DIGEST.test(digest)) {
          obs.phase = "succeeded";
          obs.digest = digest;
        } else {
          obs.phase = "failed";
          obs.failure = {
            reason: "DigestMissing",
            message:
              winner === undefined
                ? "Job completed but no succeeded pod was found to read the image digest from"
                : `Job completed but the kaniko termination message of pod ${winner.podName} is not a sha256 digest`,
          };
        }
        return obs;
      }
    }
    obs.awaitingPodStatus = true;
  }

  const current = attempts.at(-1);
  const started = attempts.some((a) => a.startedAt !== undefined || a.exitCode !== undefined);
  if (failedAttempts > 0) obs.phase = anotherAttemptAllowed(job, failedAttempts) ? "retrying" : "failing";
  else if (started || (job.status?.ready ?? 0) > 0) obs.phase = "running";
  else obs.phase = "pending";

  // Only the attempt that has not started yet can be stuck for a queue-ish reason.
  if (current !== undefined && current.startedAt === undefined && current.exitCode === undefined) {
    const pendingReason = pendingReasonOf(current.waitingReason);
    if (pendingReason !== undefined) obs.pendingReason = pendingReason;
  }
  return obs;
}
