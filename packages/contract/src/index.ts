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
export { BuildRequest, Dockerfile, API_VERSION, KNOWN_FIELDS } from "./build-request.js";
export { BuildContext, CONTEXT_TYPES } from "./context.js";
export { LIMITS } from "./limits.js";
export { Priority, PRIORITIES, priorityValue } from "./priority.js";
export type { BuildRequestInput } from "./build-request.js";
export { BuildState, BUILD_STATES, TERMINAL_STATES, isTerminalState, canTransition } from "./build-state.js";
export type { TerminalState } from "./build-state.js";
export { FailureReason, FAILURE_REASONS } from "./failure-reason.js";
export { QueuedBuild, BuildRecord, Attempt, BuildFailure, Tenant, Timestamp, ImageDigest } from "./build-record.js";
export { CancelReason, CANCEL_REASONS, BuiltFrom, RebuildOrigin } from "./build-record.js";
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
} from "./build-event.js";
export type { BuildEventOf, BuildEventDataMap, MakeBuildEventInit } from "./build-event.js";
// Rebuild wave events (issue 13): the same stream and SSE as build events.
export {
  RebuildEvent,
  RebuildEventType,
  REBUILD_EVENT_TYPES,
  RebuildId,
  RebuildStartedData,
  RebuildNodeQueuedData,
  RebuildNodeSucceededData,
  RebuildNodeFailedData,
  RebuildNodeSkippedData,
  RebuildFinishedData,
  StreamEvent,
  isRebuildEvent,
  makeRebuildEvent,
  typedRebuildEvent,
} from "./rebuild-event.js";
export type { RebuildEventOf, RebuildEventDataMap, MakeRebuildEventInit } from "./rebuild-event.js";
export { validateBuildRequest, parseBuildRequest, TAG_POLICIES } from "./validate.js";
export type { TagPolicy, ValidateOptions, ValidationResult } from "./validate.js";
export { toFieldIssues, formatPath } from "./field-issues.js";
export type { FieldIssue } from "./errors/index.js";
export * from "./errors/index.js";
export {
  BuildLinks,
  BuildSummary,
  BuildView,
  BuildList,
  QueueCounts,
  QueueView,
  LaneCounts,
  QueueLanes,
  BuildCounts,
  DrainState,
  DrainView,
  ErrorIssue,
  ErrorBody,
  StreamedEvent,
} from "./http/responses.js";
// The image catalog's document and the rebuild shapes the API answers with (issue 13).
export {
  Image,
  IMAGE_KIND,
  IMAGE_NAME_EXAMPLE,
  MAX_DECLARED_BASES,
  DEFAULT_SETTLE_SECONDS,
  MAX_SETTLE_SECONDS,
  imageNameProblem,
  validateImage,
  parseImage,
  readableDockerfile,
} from "./catalog/image.js";
export type { ImageInput, ImageValidation } from "./catalog/image.js";
export {
  TextPosition,
  TextRange,
  BaseInstruction,
  DockerfileBaseSource,
  BaseSource,
  PinMode,
  PlannedBase,
  PlanNode,
  WAVE_NODE_STATES,
  WaveNodeState,
  WaveState,
  WaveNodePin,
  WaveNodeView,
  WaveView,
  WaveList,
  RebuildPlanView,
  DryRunAnswer,
} from "./catalog/shapes.js";
export type { ImageId } from "./catalog/shapes.js";
// Webhooks (issue 17): the documents of /v1/webhooks and their deliveries.
export {
  WebhookName,
  EventPattern,
  DeliveryMode,
  WebhookSpec,
  RotateSecretRequest,
  WebhookView,
  WebhookWithSecret,
  WebhookList,
  DELIVERY_STATES,
  DeliveryState,
  DeliveryView,
  DeliveryList,
  eventMatches,
  selectorMatches,
} from "./webhooks.js";
// Workers, images and schedules answers (issue 16): the same rule as the builds answers above.
export {
  WorkerView,
  WorkerList,
  ImageStatus,
  ImageView,
  ImageList,
  ImageGraph,
  ScheduleRunView,
  ScheduleStatus,
  ScheduleView,
  ScheduleList,
} from "./http/fleet-responses.js";
