export { BuildfleetClient } from "./client/client.js";
export type { BuildfleetClientOptions, SubmitOptions, ListOptions, LogsOptions, WaitForOptions } from "./client/client.js";
export type { EventsOptions } from "./streams/events.js";
export {
  ApiError,
  ConnectionError,
  TimeoutError,
  BuildFailedError,
  BuildCancelledError,
  apiErrorFrom,
} from "./client/errors.js";
export type { IssueLike } from "./client/errors.js";
export type { FetchLike } from "./client/http.js";
export type {
  BuildEvent,
  BuildEventType,
  BuildRecord,
  BuildRequestInput,
  BuildState,
  BuildLinks,
  BuildSummary,
  BuildView,
  BuildList,
  QueueCounts,
  BuildCounts,
  QueueView,
  StreamedEvent,
  ApiErrorBody,
} from "./client/types.js";
export { parseSse } from "./streams/sse.js";
export type { SseItem, SseMessage } from "./streams/sse.js";
export { splitLines, textChunks } from "./streams/lines.js";
export type { DrainInfo, DrainOptions, DrainAnswer, WorkerInfo, BulkSelector, BulkAnswer } from "./fleet/types.js";
export { ImagesApi, RebuildsApi } from "./client/catalog-api.js";
export type {
  ApplyResult,
  ImageGraph,
  ImageStatus,
  ImageView,
  RebuildPlan,
  RebuildRequest,
  WaveNodeView,
  WaveView,
} from "./client/catalog-types.js";
export { WebhooksApi } from "./webhooks/webhooks-api.js";
export type {
  WebhookSpecInput,
  WebhookView,
  WebhookWithSecret,
  WebhookList,
  DeliveryView,
  DeliveryList,
  DeliveryState,
  DeliveryMode,
} from "./webhooks/webhooks-api.js";
export { SchedulesApi } from "./client/schedules-api.js";
export type { ScheduleView, ScheduleRunView, ScheduleApplyResult } from "./client/schedules-api.js";
