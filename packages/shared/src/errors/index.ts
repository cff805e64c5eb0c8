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
  ERROR_CODES,
  summariseIssues,
} from "./errors.js";
export type { FieldIssue, ErrorCode, BuildfleetErrorOptions, CodedErrorOptions } from "./errors.js";
export { httpStatusForCode, isRetryable, errorCode } from "./classify.js";
