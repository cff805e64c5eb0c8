// The error classes and code tables live in @buildfleet/contract; this file keeps `../errors/index.js` imports working.
export {
  BuildfleetError,
  ValidationError,
  NotFoundError,
  ConflictError,
  IdempotencyKeyReusedError,
  UnauthorizedError,
  ForbiddenError,
  RateLimitedError,
  PayloadTooLargeError,
  InfrastructureError,
  ConfigError,
  UnavailableError,
  ERROR_CODES,
  summariseIssues,
} from "@buildfleet/contract";
export type { FieldIssue, ErrorCode, BuildfleetErrorOptions, CodedErrorOptions } from "@buildfleet/contract";
export { httpStatusForCode, isRetryable, errorCode } from "@buildfleet/contract";
