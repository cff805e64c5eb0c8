import type { BuildEvent, BuildEventType, BuildRecord, BuildRequestInput, BuildState } from "@buildfleet/shared";

/**
 * The HTTP API v1 shapes as the client sees them. Type-only imports from
 * @buildfleet/shared: its root module pulls ioredis and bullmq at run time,
 * which a producer embedding this client must not pay for.
 */

export type { BuildEvent, BuildEventType, BuildRecord, BuildRequestInput, BuildState };

export interface BuildLinks {
  self: string;
  logs: string;
  events: string;
  cancel: string;
}

/** `POST /v1/builds` answer: 202 for a new build, 200 when an idempotency key matched an existing one. */
export interface BuildSummary {
  id: string;
  state: BuildState;
  queuePosition: number | null;
  idempotent: boolean;
  links: BuildLinks;
}

/** `GET /v1/builds/:id`: the record plus its CloudEvents history, oldest first. */
export type BuildView = BuildRecord & { events: BuildEvent[] };

export interface BuildList {
  items: BuildRecord[];
  nextCursor: string | null;
}

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  prioritized: number;
  completed: number;
  failed: number;
}

/** Builds created within the last `windowHours`, by state now (from the build records). */
export type BuildCounts = { windowHours: number; truncated: boolean } & Record<BuildState, number>;

export interface QueueView {
  /** Build outcomes from the records; absent from an API older than 0.2. */
  builds?: BuildCounts;
  /** BullMQ's job counts (a failed build is a completed job here). */
  counts: QueueCounts;
  paused: boolean;
}

/** One Server-Sent Event of `GET /v1/events`: the Redis stream id and the CloudEvent. */
export interface StreamedEvent {
  id: string;
  type: string;
  event: BuildEvent;
}

/** Shape of every API error body. */
export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    issues?: { path: string; message: string; example?: string }[];
  };
}
