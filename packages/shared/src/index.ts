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
export {
  BuildId,
  newBuildId,
  buildIdTime,
  parseImageReference,
  tryParseImageReference,
  formatImageReference,
  DEFAULT_REGISTRY,
  IMAGE_REFERENCE_EXAMPLE,
  BuildRequest,
  BuildContext,
  Dockerfile,
  Priority,
  PRIORITIES,
  CONTEXT_TYPES,
  API_VERSION,
  LIMITS,
  priorityValue,
  BuildState,
  BUILD_STATES,
  TERMINAL_STATES,
  isTerminalState,
  canTransition,
  FailureReason,
  FAILURE_REASONS,
  QueuedBuild,
  BuildRecord,
  Attempt,
  BuildFailure,
  Tenant,
  Timestamp,
  ImageDigest,
  BuildEvent,
  BuildEventType,
  BUILD_EVENT_TYPES,
  BuildQueuedData,
  BuildStartedData,
  BuildRunningData,
  BuildRetryingData,
  BuildSucceededData,
  BuildFailedData,
  BuildCancelledData,
  makeBuildEvent,
  buildEventId,
  validateBuildRequest,
  parseBuildRequest,
  TAG_POLICIES,
  toFieldIssues,
  formatPath,
} from "./contract/index.js";
export type {
  NewBuildIdOptions,
  ImageReference,
  ImageReferenceResult,
  BuildRequestInput,
  TerminalState,
  BuildEventOf,
  BuildEventDataMap,
  MakeBuildEventInit,
  TagPolicy,
  ValidateOptions,
  ValidationResult,
} from "./contract/index.js";
export { BuildStore } from "./builds/build-store.js";
export type { BuildStoreOptions, Transition, TransitionResult } from "./builds/build-store.js";
export { EventStream } from "./builds/event-stream.js";
export type { StreamEntry } from "./builds/event-stream.js";
export { BUILD_JOB_NAME, buildJobOptions } from "./queue/build-queue.js";
export { requestCancel } from "./queue/cancel.js";
export type { CancelDeps } from "./queue/cancel.js";
export { submitBuild, recordForQueuedBuild } from "./queue/submit.js";
export type { SubmitDeps, SubmitInput, SubmitResult } from "./queue/submit.js";
export { appendBuildLog, readBuildLog, DEFAULT_MAX_LOG_LINES, MAX_LOG_LINE_CHARS } from "./builds/build-logs.js";
export type { BuildLogLine } from "./builds/build-logs.js";
export { listBuilds, matchesListQuery } from "./builds/build-list.js";
export type { ListBuildsQuery, ListBuildsPage, ListPosition } from "./builds/build-list.js";
export { queuePosition } from "./queue/queue-position.js";
