import type { BuildRecord } from "./types.js";

/**
 * Client errors carry a string `code` (stable across bundlers and realms,
 * unlike `instanceof`) and set `name`, so logs and callers can tell them apart.
 */

export interface IssueLike {
  path: string;
  message: string;
  example?: string;
}

/** The API answered with an error status. `code` is the API's (e.g. VALIDATION_FAILED). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Field problems of a 400 VALIDATION_FAILED, empty otherwise. */
  readonly issues: readonly IssueLike[];
  /** Seconds the server asked to wait (429), when given. */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, code: string, message: string, issues: readonly IssueLike[] = [], retryAfterSeconds?: number) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.issues = issues;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The message followed by one line per field issue, for people. */
  describe(): string {
    const lines = this.issues.map((i) => `  ${i.path === "" ? "(request)" : i.path}: ${i.message}${i.example ? ` (example: ${i.example})` : ""}`);
    return [`${this.code}: ${this.message}`, ...lines].join("\n");
  }
}

/** The API could not be reached, or did not answer within the deadline. */
export class ConnectionError extends Error {
  readonly code = "CONNECTION";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConnectionError";
  }
}

/** `waitFor` gave up before the build finished (the build itself goes on). */
export class TimeoutError extends Error {
  readonly code = "TIMEOUT";
  readonly buildId: string;
  constructor(buildId: string, timeoutMs: number) {
    super(`build ${buildId} did not finish within ${timeoutMs} ms`);
    this.name = "TimeoutError";
    this.buildId = buildId;
  }
}

/** The build ended in state `failed`. */
export class BuildFailedError extends Error {
  readonly code = "BUILD_FAILED";
  /** The shared FailureReason, e.g. BackoffLimitExceeded, OOMKilled. */
  readonly reason: string;
  readonly build: BuildRecord;
  constructor(build: BuildRecord) {
    const reason = build.failure?.reason ?? "Unknown";
    super(`build ${build.id} failed (${reason}): ${build.failure?.message ?? "no message"}`);
    this.name = "BuildFailedError";
    this.reason = reason;
    this.build = build;
  }
}

/** The build ended in state `cancelled`. */
export class BuildCancelledError extends Error {
  readonly code = "BUILD_CANCELLED";
  readonly build: BuildRecord;
  constructor(build: BuildRecord) {
    super(`build ${build.id} was cancelled${build.cancelledBy ? ` by ${build.cancelledBy}` : ""}`);
    this.name = "BuildCancelledError";
    this.build = build;
  }
}

const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: "VALIDATION_FAILED",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  429: "RATE_LIMITED",
};

/**
 * Turns an error response into an ApiError. The body is parsed defensively: a
 * proxy in between may answer with HTML or nothing at all.
 */
export function apiErrorFrom(status: number, bodyText: string, retryAfter: string | null): ApiError {
  const fallbackCode = CODE_BY_STATUS[status] ?? (status >= 500 ? "INTERNAL" : "HTTP_ERROR");
  const retry = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    parsed = undefined;
  }
  const error = (parsed as { error?: unknown } | undefined)?.error;
  if (typeof error === "object" && error !== null) {
    const e = error as Record<string, unknown>;
    const code = typeof e["code"] === "string" ? e["code"] : fallbackCode;
    const message = typeof e["message"] === "string" ? e["message"] : `HTTP ${status}`;
    const issues = Array.isArray(e["issues"]) ? e["issues"].filter(isIssue) : [];
    return new ApiError(status, code, message, issues, retry);
  }
  const snippet = bodyText.trim().slice(0, 200);
  return new ApiError(status, fallbackCode, snippet === "" ? `HTTP ${status}` : `HTTP ${status}: ${snippet}`, [], retry);
}

function isIssue(value: unknown): value is IssueLike {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v["path"] === "string" && typeof v["message"] === "string";
}
