export { createLogger, redactUrl, REDACT_PATHS, LOG_LEVELS } from "./logging/logger.js";
export type { Logger, LogLevel, CreateLoggerOptions } from "./logging/logger.js";
export { keyspace, prefixProblem, DEFAULT_PREFIX } from "./redis/keyspace.js";
export type { Keyspace } from "./redis/keyspace.js";
export { createWorkerConnection, createProducerConnection, waitForReady } from "./redis/connections.js";
export type { Redis } from "./redis/connections.js";
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
  ERROR_CODES,
  summariseIssues,
  httpStatusForCode,
  isRetryable,
  errorCode,
} from "./errors/index.js";
export type { FieldIssue, ErrorCode, BuildfleetErrorOptions, CodedErrorOptions } from "./errors/index.js";
export { loadConfig, DEFAULT_KANIKO_IMAGE } from "./config/config.js";
export type { BuildfleetConfig } from "./config/config.js";
