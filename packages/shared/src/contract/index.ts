export { BuildId, newBuildId, buildIdTime } from "./build-id.js";
export type { NewBuildIdOptions } from "./build-id.js";
export {
  parseImageReference,
  tryParseImageReference,
  formatImageReference,
  DEFAULT_REGISTRY,
  IMAGE_REFERENCE_EXAMPLE,
} from "./image-reference.js";
export type { ImageReference, ImageReferenceResult } from "./image-reference.js";
export {
  BuildRequest,
  BuildContext,
  Dockerfile,
  Priority,
  PRIORITIES,
  CONTEXT_TYPES,
  API_VERSION,
  LIMITS,
  priorityValue,
} from "./build-request.js";
export type { BuildRequestInput } from "./build-request.js";
export { BuildState, BUILD_STATES, TERMINAL_STATES, isTerminalState, canTransition } from "./build-state.js";
export type { TerminalState } from "./build-state.js";
export { FailureReason, FAILURE_REASONS } from "./failure-reason.js";
export { QueuedBuild, BuildRecord, Attempt, BuildFailure, Tenant, Timestamp, ImageDigest } from "./build-record.js";
export {
  BuildEvent,
  BuildEventType,
  BUILD_EVENT_TYPES,
  BuildQueuedData,
  BuildStartedData,
  BuildRetryingData,
  BuildSucceededData,
  BuildFailedData,
  BuildCancelledData,
  makeBuildEvent,
  buildEventId,
} from "./build-event.js";
export type { BuildEventOf, BuildEventDataMap, MakeBuildEventInit } from "./build-event.js";
export { validateBuildRequest, parseBuildRequest, TAG_POLICIES } from "./validate.js";
export type { TagPolicy, ValidateOptions, ValidationResult } from "./validate.js";
export { toFieldIssues, formatPath } from "./field-issues.js";
export type { FieldIssue } from "../errors/index.js";
