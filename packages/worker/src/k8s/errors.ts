/**
 * Kubernetes API failures as typed errors with string codes.
 *
 * client-node's `ApiException.message` contains the response HEADERS (and the
 * body); it must never reach a log line or another error. We read only `.code`,
 * the Status object in `.body` (parsed defensively: it is raw text, an object, or
 * nothing) and `Retry-After`, and build our own message.
 */
export const K8S_ERROR_CODES = [
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "CONFLICT",
  "GONE",
  "INVALID",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "RATE_LIMITED",
  "UNAVAILABLE",
] as const;
export type K8sErrorCode = (typeof K8S_ERROR_CODES)[number];

const RETRYABLE: ReadonlySet<K8sErrorCode> = new Set<K8sErrorCode>(["CONFLICT", "RATE_LIMITED", "UNAVAILABLE", "GONE"]);

export interface K8sErrorDetails {
  /** HTTP status, when there was a response. */
  status?: number;
  /** The Status object's `reason` (AlreadyExists, NotFound, Expired, …). */
  reason?: string;
  retryAfterSeconds?: number;
  /** What we were doing: `create Job b-…`, `watch pods`. */
  operation?: string;
}

export class K8sError extends Error {
  readonly code: K8sErrorCode;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly reason: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: K8sErrorCode, message: string, details: K8sErrorDetails = {}) {
    super(message);
    this.name = "K8sError";
    this.code = code;
    this.retryable = RETRYABLE.has(code);
    this.status = details.status;
    this.reason = details.reason;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

export function isK8sError(err: unknown, code?: K8sErrorCode): err is K8sError {
  return err instanceof K8sError && (code === undefined || err.code === code);
}

interface StatusBody {
  reason?: string;
  message?: string;
  code?: number;
  retryAfterSeconds?: number;
}

/** The Kubernetes `Status` in an error body: raw JSON text, an already-parsed object, or junk. */
export function parseStatusBody(body: unknown): StatusBody {
  let value: unknown = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      return {};
    }
  }
  if (typeof value !== "object" || value === null) return {};
  const v = value as Record<string, unknown>;
  const out: StatusBody = {};
  if (typeof v.reason === "string") out.reason = v.reason;
  // Bounded: a proxy may answer with a whole HTML page.
  if (typeof v.message === "string") out.message = v.message.slice(0, 500);
  if (typeof v.code === "number") out.code = v.code;
  const details = v.details;
  if (typeof details === "object" && details !== null) {
    const ras = (details as Record<string, unknown>).retryAfterSeconds;
    if (typeof ras === "number" && Number.isFinite(ras)) out.retryAfterSeconds = ras;
  }
  return out;
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== "object" || headers === null) return undefined;
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (k.toLowerCase() === name && typeof v === "string") return v;
  }
  return undefined;
}

function retryAfter(headers: unknown, status: StatusBody): number | undefined {
  const h = headerValue(headers, "retry-after");
  if (h !== undefined && /^\d+$/.test(h.trim())) return Number(h.trim());
  return status.retryAfterSeconds;
}

/** Maps an HTTP status (and the Status reason) to our code. */
export function codeForStatus(status: number, reason?: string): K8sErrorCode {
  if (status === 404) return "NOT_FOUND";
  if (status === 409) return reason === "AlreadyExists" ? "ALREADY_EXISTS" : "CONFLICT";
  if (status === 410) return "GONE";
  if (status === 400 || status === 422) return "INVALID";
  if (status === 401) return "UNAUTHORIZED";
  if (status === 403) return "FORBIDDEN";
  if (status === 429) return "RATE_LIMITED";
  return "UNAVAILABLE";
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_)|CERT|UNABLE_TO_(GET|VERIFY)/;
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_SOCKET"]);

/**
 * A non-2xx answer → `K8sError`: the code from the status and the Status `reason`, the
 * message from the Status `message` (bounded). Headers are read for Retry-After only.
 */
export function k8sErrorFromResponse(httpStatus: number, body: unknown, headers: unknown, operation: string): K8sError {
  const status = parseStatusBody(body);
  const code = codeForStatus(httpStatus, status.reason);
  const details: K8sErrorDetails = { status: httpStatus, operation };
  if (status.reason !== undefined) details.reason = status.reason;
  const ra = retryAfter(headers, status);
  if (ra !== undefined) details.retryAfterSeconds = ra;
  const what = status.message ?? status.reason ?? `HTTP ${httpStatus}`;
  return new K8sError(code, `${operation}: ${code} (${httpStatus}): ${what}`, details);
}

/**
 * Any failure of a Kubernetes call → `K8sError`. Handles client-node's
 * `ApiException` (numeric `.code`), the watch's `Error` with `.statusCode`, a
 * watch `ERROR` event's Status object, aborts/timeouts and network errors.
 */
export function toK8sError(err: unknown, operation: string): K8sError {
  if (err instanceof K8sError) return err;
  if (typeof err === "object" && err !== null) {
    const e = err as Record<string, unknown>;
    const httpStatus = typeof e.code === "number" ? e.code : typeof e.statusCode === "number" ? e.statusCode : undefined;
    if (httpStatus !== undefined && httpStatus >= 100) return k8sErrorFromResponse(httpStatus, e.body, e.headers, operation);
    const name = typeof e.name === "string" ? e.name : "";
    if (name === "AbortError" || name === "TimeoutError") {
      return new K8sError("UNAVAILABLE", `${operation}: no answer before the deadline`, { operation });
    }
    const sysCode = typeof e.code === "string" ? e.code : typeof e.errno === "string" ? e.errno : undefined;
    if (sysCode !== undefined && NETWORK_CODES.has(sysCode)) {
      return new K8sError("UNAVAILABLE", `${operation}: network error ${sysCode}`, { operation });
    }
    // Node's TLS failures (DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, ERR_SSL_…):
    // worth naming, an operator fixes them in the kubeconfig.
    if (sysCode !== undefined && TLS_CODE.test(sysCode)) {
      return new K8sError("UNAVAILABLE", `${operation}: TLS error ${sysCode}`, { operation });
    }
    // node-fetch wraps socket errors as FetchError{type:"system", code}; anything else is unexpected.
    return new K8sError("UNAVAILABLE", `${operation}: unexpected ${name || "error"}${sysCode ? ` ${sysCode}` : ""}`, { operation });
  }
  return new K8sError("UNAVAILABLE", `${operation}: unexpected error`, { operation });
}

/** A watch `ERROR` event carries a Status object (e.g. 410 Expired) instead of a resource. */
export function k8sErrorFromWatchStatus(status: unknown, operation: string): K8sError {
  const s = parseStatusBody(status);
  const code = codeForStatus(s.code ?? 500, s.reason);
  const details: K8sErrorDetails = { operation };
  if (s.code !== undefined) details.status = s.code;
  if (s.reason !== undefined) details.reason = s.reason;
  return new K8sError(code, `${operation}: ${code}: ${s.message ?? s.reason ?? "watch error"}`, details);
}
