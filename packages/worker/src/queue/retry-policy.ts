import { isRetryable, type FailureReason } from "@buildfleet/contract";

/**
 * The one retry table: what the worker does with an error that ended a build's
 * run. Pure (error → decision); build-worker.ts applies it in one place.
 *
 * - `retry`: BullMQ's next attempt, with the queue's exponential backoff;
 *   `minDelayMs` is a floor the server asked for (429 Retry-After).
 * - `fail`: retrying the same request cannot help; fail the build now with a
 *   reason a person can act on (the queue entry gets no further attempt).
 * - `hand-back`: the worker is shutting down; the build goes back to wait
 *   without using an attempt.
 *
 * Classified by the error's `code` (strings: ours, the Kubernetes adapter's and
 * Node's network codes), never only by class, so errors from another copy of a
 * package or rebuilt from JSON are classified the same way.
 */
export type RetryDecision =
  | { action: "retry"; minDelayMs?: number }
  | { action: "fail"; reason: FailureReason; message: string }
  | { action: "hand-back" };

interface ErrorData {
  code?: unknown;
  retryable?: unknown;
  message?: unknown;
  retryAfterSeconds?: unknown;
}

type Rule = (err: ErrorData, message: string) => RetryDecision;

const retry: Rule = () => ({ action: "retry" });

/** By code. Kubernetes codes come from k8s/errors.ts (one per API-server status class). */
const TABLE: Readonly<Record<string, Rule>> = {
  HAND_BACK: () => ({ action: "hand-back" }),
  // The worker refused the queue entry or the API server rejected the Job (400/422): a bad request stays bad.
  INVALID_BUILD: (_e, message) => ({ action: "fail", reason: "InvalidRequest", message }),
  INVALID: (_e, message) => ({ action: "fail", reason: "InvalidRequest", message: `the Kubernetes API rejected the build Job: ${message}` }),
  // 401/403: a missing RBAC rule or a bad credential. The Status message names verb, resource and namespace.
  UNAUTHORIZED: (_e, message) => ({ action: "fail", reason: "PermissionDenied", message }),
  FORBIDDEN: (_e, message) => ({ action: "fail", reason: "PermissionDenied", message }),
  // 429: honour Retry-After as a floor under the backoff.
  RATE_LIMITED: (e) => {
    const seconds = typeof e.retryAfterSeconds === "number" && e.retryAfterSeconds > 0 ? e.retryAfterSeconds : undefined;
    return seconds === undefined ? { action: "retry" } : { action: "retry", minDelayMs: seconds * 1000 };
  },
  // 5xx, timeouts, network errors (the adapter maps them all to UNAVAILABLE), 409 conflicts, 410 relists.
  UNAVAILABLE: retry,
  CONFLICT: retry,
  GONE: retry,
};

/** The decision for `err`. Unknown errors are retried: the bounded attempts budget caps the cost. */
export function decideRetry(err: unknown): RetryDecision {
  const data: ErrorData = typeof err === "object" && err !== null ? err : {};
  const message = typeof data.message === "string" ? data.message : String(err);
  const rule = typeof data.code === "string" && Object.hasOwn(TABLE, data.code) ? TABLE[data.code] : undefined;
  if (rule) return rule(data, message);
  // Ours (InfrastructureError({ retryable: false }), ConfigError, …) and Redis/Node network codes: data on the error.
  if (!isRetryable(err)) return { action: "fail", reason: "InfrastructureError", message };
  return { action: "retry" };
}

/**
 * What a `retry` becomes when BullMQ has no attempt left: the build fails with
 * the last error's message instead of its queue entry moving to BullMQ's failed
 * set while the record stays `queued` forever.
 */
export function exhausted(err: unknown, attempts: number): RetryDecision & { action: "fail" } {
  const message = typeof err === "object" && err !== null && typeof (err as ErrorData).message === "string" ? (err as { message: string }).message : String(err);
  return { action: "fail", reason: "InfrastructureError", message: `gave up after ${attempts} attempts: ${message}` };
}
