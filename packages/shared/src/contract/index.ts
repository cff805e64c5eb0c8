// The contract lives in @buildfleet/contract (pure, zod only); this file keeps `../contract/index.js` imports working.
export { BuildId, newBuildId, buildIdTime } from "@buildfleet/contract";
export type { NewBuildIdOptions } from "@buildfleet/contract";
export {
  parseImageReference,
  tryParseImageReference,
  formatImageReference,
  DEFAULT_REGISTRY,
  IMAGE_REFERENCE_EXAMPLE,
} from "@buildfleet/contract";
export type { ImageReference, ImageReferenceResult } from "@buildfleet/contract";
export { BuildRequest, Dockerfile, API_VERSION, KNOWN_FIELDS } from "@buildfleet/contract";
export { BuildContext, CONTEXT_TYPES } from "@buildfleet/contract";
export { LIMITS } from "@buildfleet/contract";
export { Priority, PRIORITIES, priorityValue } from "@buildfleet/contract";
export type { BuildRequestInput } from "@buildfleet/contract";
export { BuildState, BUILD_STATES, TERMINAL_STATES, isTerminalState, canTransition } from "@buildfleet/contract";
export type { TerminalState } from "@buildfleet/contract";
export { FailureReason, FAILURE_REASONS } from "@buildfleet/contract";
export { QueuedBuild, BuildRecord, Attempt, BuildFailure, Tenant, Timestamp, ImageDigest } from "@buildfleet/contract";
export { CancelReason, CANCEL_REASONS, BuiltFrom, RebuildOrigin } from "@buildfleet/contract";
export { RebuildEvent, StreamEvent, isRebuildEvent, makeRebuildEvent, typedRebuildEvent } from "@buildfleet/contract";
export type { RebuildEventType, RebuildEventDataMap } from "@buildfleet/contract";
export {
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
  typedBuildEvent,
  buildEventId,
} from "@buildfleet/contract";
export type { BuildEventOf, BuildEventDataMap, MakeBuildEventInit } from "@buildfleet/contract";
export { validateBuildRequest, parseBuildRequest, TAG_POLICIES } from "@buildfleet/contract";
export type { TagPolicy, ValidateOptions, ValidationResult } from "@buildfleet/contract";
export { toFieldIssues, formatPath } from "@buildfleet/contract";
export type { FieldIssue } from "@buildfleet/contract";
export {
  BuildLinks,
  BuildSummary,
  BuildView,
  BuildList,
  QueueCounts,
  QueueView,
  BuildCounts,
  DrainView,
  ErrorIssue,
  ErrorBody,
  StreamedEvent,
} from "@buildfleet/contract";
