import type { Transition } from "@buildfleet/shared";
import type { Attempt, BuildRecord, FailureReason } from "@buildfleet/contract";
import { isTerminalState } from "@buildfleet/contract";
import type { AttemptObservation, BuildObservation } from "../tracking/derive-status.js";

/**
 * Pure planning: which state transitions (each with its one event) move the
 * build record from what it says to what the Job and Pods show. Level-
 * triggered: a worker that only sees the latest picture (after a crash, a lost
 * watch or a resync) plans the same transitions as one that saw every step,
 * and the build store drops any it already applied.
 */
export function planTransitions(record: BuildRecord, obs: BuildObservation, jobName: string): Transition[] {
  if (isTerminalState(record.state)) return [];
  const attempts = toRecordAttempts(obs.attempts);
  const plan: Transition[] = [];

  if (record.state === "queued") plan.push(startedTransition(jobName, attempts));

  switch (obs.phase) {
    case "pending":
      break;
    case "failing":
      // No further attempt: wait for the terminal condition instead of announcing one that never runs.
      break;
    case "running": {
      const attempt = currentAttempt(obs);
      plan.push({
        to: "running",
        key: `running:${attempt}`,
        patch: () => ({ attempts }),
        event: {
          type: "build.running",
          data: (r) => ({ buildId: r.id, jobName, attempt, ...runningPod(obs) }),
        },
      });
      break;
    }
    case "retrying": {
      const attempt = currentAttempt(obs);
      const previous = lastFailed(obs.attempts);
      plan.push({
        to: "retrying",
        key: `retrying:${attempt}`,
        patch: () => ({ attempts }),
        event: {
          type: "build.retrying",
          data: (r) => ({
            buildId: r.id,
            attempt,
            previous: {
              ...(previous?.exitCode !== undefined ? { exitCode: previous.exitCode } : {}),
              ...(previous?.reason ? { reason: previous.reason } : {}),
              ...(previous?.message ? { message: truncate(previous.message) } : {}),
            },
          }),
        },
      });
      break;
    }
    case "succeeded":
      if (obs.digest) {
        const digest = obs.digest;
        plan.push({
          to: "succeeded",
          patch: () => ({ attempts, digest }),
          event: {
            type: "build.succeeded",
            data: (r) => ({
              buildId: r.id,
              digest,
              destinations: r.request.destinations,
              attempts: Math.max(1, countedAttempts(obs)),
              ...(r.sourceDigest !== undefined ? { sourceDigest: r.sourceDigest } : {}),
            }),
          },
        });
      }
      break;
    case "failed": {
      const failure = {
        reason: (obs.failure?.reason ?? "InfrastructureError") satisfies FailureReason,
        message: truncate(obs.failure?.message ?? "the build Job failed"),
      };
      plan.push(failedTransition(failure, attempts, countedAttempts(obs)));
      break;
    }
  }
  return plan;
}

export function startedTransition(jobName: string, attempts: Attempt[] = []): Transition {
  return {
    to: "starting",
    // Only the first start: a retrying build that is redelivered must not announce build.started again.
    onlyFrom: ["queued"],
    patch: (r) => ({ jobName, attempts: attempts.length > 0 ? attempts : r.attempts, startedAt: r.startedAt ?? new Date().toISOString() }),
    event: { type: "build.started", data: (r) => ({ buildId: r.id, jobName, attempt: 1 }) },
  };
}

export function failedTransition(
  failure: { reason: FailureReason; message: string },
  attempts?: Attempt[],
  attemptCount?: number,
): Transition {
  return {
    to: "failed",
    patch: (r) => ({ failure: { ...failure, message: truncate(failure.message) }, attempts: attempts ?? r.attempts }),
    event: {
      type: "build.failed",
      data: (r) => ({
        buildId: r.id,
        reason: failure.reason,
        message: truncate(failure.message),
        attempts: attemptCount ?? (attempts ?? r.attempts).length,
      }),
    },
  };
}

export function cancelledTransition(by?: string): Transition {
  return {
    to: "cancelled",
    event: {
      type: "build.cancelled",
      data: (r) => ({ buildId: r.id, ...(by ? { by } : {}), ...(r.cancelReason ? { reason: r.cancelReason } : {}) }),
    },
  };
}

function currentAttempt(obs: BuildObservation): number {
  return Math.min(100, obs.failedAttempts + 1);
}

function lastFailed(attempts: readonly AttemptObservation[]): AttemptObservation | undefined {
  return [...attempts].reverse().find((a) => !a.disrupted && a.finishedAt !== undefined && a.reason !== "Completed");
}

function runningPod(obs: BuildObservation): { podName?: string } {
  const pod = [...obs.attempts].reverse().find((a) => a.podPhase === "Running") ?? obs.attempts.at(-1);
  return pod ? { podName: pod.podName } : {};
}

/** Attempts that count: evicted pods (DisruptionTarget) are not attempts of the build. */
function countedAttempts(obs: BuildObservation): number {
  return obs.attempts.filter((a) => !a.disrupted).length;
}

export function toRecordAttempts(observed: readonly AttemptObservation[]): Attempt[] {
  return observed.slice(-100).map((a, i) => ({
    index: i + 1,
    podName: a.podName,
    ...(a.startedAt ? { startedAt: a.startedAt } : {}),
    ...(a.finishedAt ? { finishedAt: a.finishedAt } : {}),
    ...(a.exitCode !== undefined ? { exitCode: a.exitCode } : {}),
    ...(a.reason ? { reason: a.reason.slice(0, 256) } : a.waitingReason ? { reason: a.waitingReason.slice(0, 256) } : {}),
    ...(a.message ? { message: truncate(a.message) } : {}),
  }));
}

function truncate(s: string, max = 4000): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
