import type {
  BuildEvent,
  BuildEventType,
  BuildCounts,
  BuildLinks,
  BuildList,
  BuildRecord,
  BuildRequestInput,
  BuildState,
  BuildSummary,
  BuildView,
  ErrorBody,
  QueueCounts,
  QueueView,
  StreamedEvent,
} from "@buildfleet/contract";

/**
 * The HTTP API v1 shapes as the client sees them: inferred from the response
 * schemas in @buildfleet/contract, the same ones the API answers with (the
 * contract is pure: importing it loads zod, not ioredis or bullmq).
 */

export type {
  BuildEvent,
  BuildEventType,
  BuildCounts,
  BuildLinks,
  BuildList,
  BuildRecord,
  BuildRequestInput,
  BuildState,
  BuildSummary,
  BuildView,
  QueueCounts,
  QueueView,
  StreamedEvent,
};

/** Shape of every API error body. */
export type ApiErrorBody = ErrorBody;
