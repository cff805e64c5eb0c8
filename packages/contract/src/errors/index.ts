export {
  BuildfleetError,
  ValidationError,
  NotFoundError,
  ConflictError,
  UnauthorizedError,
  ForbiddenError,
  RateLimitedError,
  PayloadTooLargeError,
  InfrastructureError,
  ConfigError,
  UnavailableError,
  IdempotencyKeyReusedError,
  ERROR_CODES,
  summariseIssues,
} from "./errors.js";
export type { FieldIssue, ErrorCode, BuildfleetErrorOptions, CodedErrorOptions } from "./errors.js";
export { httpStatusForCode, isRetryable, errorCode } from "./classify.js";
