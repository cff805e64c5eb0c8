import { redactText } from "./redact.js";
import { BuildfleetError, ValidationError, errorCode, httpStatusForCode, type ErrorCode, type FieldIssue } from "@buildfleet/contract";

/**
 * The one mapping from anything thrown in a request to the API's error body
 * `{ error: { code, message, issues? } }` and its status (shared table).
 * Server-side faults answer with a generic message: internals (Redis
 * addresses, stack traces) never reach a client; they are logged instead.
 */

export interface ErrorBody {
  error: { code: ErrorCode; message: string; issues?: FieldIssue[] };
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  /** Seconds for a Retry-After header. */
  retryAfterSeconds?: number;
  /** Whether this is our fault (log it at error level). */
  serverFault: boolean;
}

/** Network error codes of Redis being unreachable: the API cannot serve, try again later. */
const INFRA_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH"]);

function response(code: ErrorCode, message: string, extra: Partial<ErrorResponse> = {}): ErrorResponse {
  const status = httpStatusForCode(code);
  return { status, body: { error: { code, message } }, serverFault: status >= 500, ...extra };
}

/**
 * The answer to anything thrown, with credentials a client sent (a URL's user
 * info, `?token=`) redacted from every message: validation messages quote the
 * offending value, and that value may be exactly the credential.
 */
export function errorResponse(err: unknown): ErrorResponse {
  const res = unredactedResponse(err);
  const { code, message, issues } = res.body.error;
  const error: ErrorBody["error"] = { code, message: redactText(String(message)) };
  if (issues !== undefined) {
    // Only strings leave: an issue built from a client's keys must not carry anything else.
    error.issues = issues.map(({ path, message: m, example }) => ({
      path: String(path),
      message: redactText(String(m)),
      ...(typeof example === "string" ? { example: redactText(example) } : {}),
    }));
  }
  return { ...res, body: { error } };
}

function unredactedResponse(err: unknown): ErrorResponse {
  if (err instanceof ValidationError) {
    return { status: 400, body: { error: { code: err.code, message: err.message, issues: [...err.issues] } }, serverFault: false };
  }
  if (err instanceof BuildfleetError) {
    if (err.code === "INTERNAL" || err.code === "CONFIG_INVALID") return response("INTERNAL", "internal error");
    const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    return response(err.code, err.message, typeof retryAfter === "number" ? { retryAfterSeconds: retryAfter } : {});
  }
  const code = errorCode(err) ?? "";
  const statusCode = (err as { statusCode?: unknown } | undefined)?.statusCode;
  const message = err instanceof Error ? err.message : String(err);
  // fastify's own request errors (FST_ERR_*), mapped onto our codes.
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE" || statusCode === 413) {
    return response("PAYLOAD_TOO_LARGE", "the request body is larger than the limit");
  }
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || statusCode === 415) {
    return validation("", "expected Content-Type: application/json");
  }
  if (code === "FST_ERR_BAD_URL") return validation("", "the URL path is not valid percent-encoding (RFC 3986), e.g. %30 not %u0030");
  if (code === "FST_ERR_MAX_PARAM_LENGTH" || statusCode === 414) {
    return validation("", "a path parameter is longer than 100 characters; a build id has 26");
  }
  if (code === "FST_ERR_CTP_EMPTY_JSON_BODY") return validation("", "the body is empty; send a JSON object");
  // fastify's JSON parser (secure-json-parse) refuses prototype keys before our validation sees them.
  if (/forbidden prototype property/.test(message)) {
    return validation("__proto__", 'the keys "__proto__" and "constructor.prototype" are not allowed');
  }
  if (code === "FST_ERR_CTP_INVALID_JSON_BODY" || err instanceof SyntaxError) {
    return validation("", `the body is not valid JSON: ${message}`);
  }
  if (INFRA_CODES.has(code) || /Connection is closed|Stream isn't writeable|enableOfflineQueue|Command timed out/i.test(message)) {
    return response("INFRASTRUCTURE", "the build queue is unavailable; try again shortly");
  }
  if (typeof statusCode === "number" && statusCode >= 400 && statusCode < 500) {
    if (statusCode === 404) return response("NOT_FOUND", "not found");
    return validation("", message);
  }
  return response("INTERNAL", "internal error");
}

function validation(path: string, message: string): ErrorResponse {
  return { status: 400, body: { error: { code: "VALIDATION_FAILED", message, issues: [{ path, message }] } }, serverFault: false };
}
