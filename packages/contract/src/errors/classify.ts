import type { ErrorCode } from "./errors.js";

/**
 * The one table from error codes to HTTP statuses. Codes we do not know
 * (including Node system codes) are server-side faults: 500.
 */
const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  CONFIG_INVALID: 500,
  INFRASTRUCTURE: 503,
  UNAVAILABLE: 503,
};

export function httpStatusForCode(code: string): number {
  return Object.hasOwn(HTTP_STATUS, code) ? HTTP_STATUS[code as ErrorCode] : 500;
}

/** Retrying the same request cannot fix these. */
const PERMANENT_CODES: ReadonlySet<string> = new Set<string>([
  "VALIDATION_FAILED",
  "NOT_FOUND",
  "CONFLICT",
  "IDEMPOTENCY_KEY_REUSED",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "PAYLOAD_TOO_LARGE",
  "CONFIG_INVALID",
]);

/**
 * Transient conditions: ours, plus the Node/ioredis network error codes seen
 * when Redis or the Kubernetes API is briefly unreachable.
 */
const TRANSIENT_CODES: ReadonlySet<string> = new Set<string>([
  "RATE_LIMITED",
  "INFRASTRUCTURE",
  "UNAVAILABLE",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
]);

/**
 * Whether retrying could help. Classifies by the error's data, not by
 * `instanceof`, so it also works for errors from another copy of this package
 * or rebuilt from JSON: an explicit boolean `retryable` wins, then the `code`.
 * Errors we cannot classify (plain bugs, unknown codes) count as retryable:
 * the bounded attempts budget caps the cost, and giving up on a transient
 * fault we did not foresee would fail a build that could have succeeded.
 */
export function isRetryable(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return true;
  const { retryable, code } = err as { retryable?: unknown; code?: unknown };
  if (typeof retryable === "boolean") return retryable;
  if (typeof code === "string") {
    if (PERMANENT_CODES.has(code)) return false;
    if (TRANSIENT_CODES.has(code)) return true;
  }
  return true;
}

/** The error's string code if it has one (ours or a Node system code). */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}
