/**
 * Typed errors shared by every buildfleet component. Each carries a string
 * `code` (stable across processes and serialisation, unlike `instanceof`),
 * whether retrying could help, and optional structured `details`.
 */

/** One actionable problem with one field of an input document. */
export interface FieldIssue {
  /** Where the problem is, e.g. `destinations[1]` or `context.claimName`; "" for the whole document. */
  path: string;
  /** What was wrong, in words a person can act on. */
  message: string;
  /** A value that would have been accepted, when one can be suggested. */
  example?: string;
}

export const ERROR_CODES = [
  "VALIDATION_FAILED",
  "NOT_FOUND",
  "CONFLICT",
  "IDEMPOTENCY_KEY_REUSED",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "RATE_LIMITED",
  "PAYLOAD_TOO_LARGE",
  "INFRASTRUCTURE",
  "UNAVAILABLE",
  "CONFIG_INVALID",
  "INTERNAL",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface BuildfleetErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
  /** Overrides the default retryability of the code. */
  retryable?: boolean;
}

/** Codes for which trying the same thing again later can succeed. */
const RETRYABLE_BY_DEFAULT: ReadonlySet<string> = new Set<ErrorCode>(["RATE_LIMITED", "INFRASTRUCTURE", "UNAVAILABLE"]);

export class BuildfleetError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: BuildfleetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "BuildfleetError";
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.details = options.details;
  }
}

/** Options of the subclasses: the code is fixed by the class. */
export type CodedErrorOptions = Omit<BuildfleetErrorOptions, "details">;

export class ValidationError extends BuildfleetError {
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[], message?: string, options: CodedErrorOptions = {}) {
    super("VALIDATION_FAILED", message ?? summariseIssues(issues), { ...options, details: { issues } });
    this.name = "ValidationError";
    this.issues = issues;
  }
}

/** `invalid request: destinations[0]: … (example: …); retries: …` — the issues are also kept structured. */
export function summariseIssues(issues: readonly FieldIssue[], prefix = "invalid request"): string {
  if (issues.length === 0) return prefix;
  const parts = issues.map((i) => {
    const where = i.path === "" ? "" : `${i.path}: `;
    const example = i.example === undefined ? "" : ` (example: ${i.example})`;
    return `${where}${i.message}${example}`;
  });
  return `${prefix}: ${parts.join("; ")}`;
}

export class NotFoundError extends BuildfleetError {
  constructor(message: string, details?: Record<string, unknown>, options: CodedErrorOptions = {}) {
    super("NOT_FOUND", message, { ...options, details });
    this.name = "NotFoundError";
  }
}

export class ConflictError extends BuildfleetError {
  constructor(message: string, details?: Record<string, unknown>, options: CodedErrorOptions = {}) {
    super("CONFLICT", message, { ...options, details });
    this.name = "ConflictError";
  }
}

/**
 * An idempotency key came back with a different request (Stripe, IETF
 * Idempotency-Key draft: 422). `buildId` names the build the key belongs to.
 */
export class IdempotencyKeyReusedError extends BuildfleetError {
  readonly buildId: string;

  constructor(key: string, buildId: string, options: CodedErrorOptions = {}) {
    super(
      "IDEMPOTENCY_KEY_REUSED",
      `idempotency key ${JSON.stringify(key)} was already used for build ${buildId} with a different request; use a new key for a new build`,
      { ...options, details: { buildId, idempotencyKey: key } },
    );
    this.name = "IdempotencyKeyReusedError";
    this.buildId = buildId;
  }
}

export class UnauthorizedError extends BuildfleetError {
  constructor(message = "authentication required", details?: Record<string, unknown>, options: CodedErrorOptions = {}) {
    super("UNAUTHORIZED", message, { ...options, details });
    this.name = "UnauthorizedError";
  }
}

export class ForbiddenError extends BuildfleetError {
  constructor(message = "not allowed", details?: Record<string, unknown>, options: CodedErrorOptions = {}) {
    super("FORBIDDEN", message, { ...options, details });
    this.name = "ForbiddenError";
  }
}

export class RateLimitedError extends BuildfleetError {
  /** Seconds the caller should wait before trying again, when known (HTTP Retry-After). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    message: string,
    details?: Record<string, unknown> & { retryAfterSeconds?: number },
    options: CodedErrorOptions = {},
  ) {
    super("RATE_LIMITED", message, { ...options, details });
    this.name = "RateLimitedError";
    this.retryAfterSeconds = details?.retryAfterSeconds;
  }
}

export class PayloadTooLargeError extends BuildfleetError {
  constructor(message: string, details?: Record<string, unknown>, options: CodedErrorOptions = {}) {
    super("PAYLOAD_TOO_LARGE", message, { ...options, details });
    this.name = "PayloadTooLargeError";
  }
}

/** Redis, Kubernetes API or network trouble: retryable unless told otherwise. */
export class InfrastructureError extends BuildfleetError {
  constructor(message: string, details?: Record<string, unknown>, options: CodedErrorOptions = {}) {
    super("INFRASTRUCTURE", message, { ...options, details });
    this.name = "InfrastructureError";
  }
}

export class ConfigError extends BuildfleetError {
  constructor(message: string, details?: Record<string, unknown>, options: CodedErrorOptions = {}) {
    super("CONFIG_INVALID", message, { ...options, details });
    this.name = "ConfigError";
  }
}

/** The service refuses for now on purpose (e.g. the queue is draining with reject-new): HTTP 503 with Retry-After. */
export class UnavailableError extends BuildfleetError {
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, details?: Record<string, unknown> & { retryAfterSeconds?: number }, options: CodedErrorOptions = {}) {
    super("UNAVAILABLE", message, { ...options, details });
    this.name = "UnavailableError";
    this.retryAfterSeconds = details?.retryAfterSeconds;
  }
}
