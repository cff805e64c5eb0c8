import type { BuildEvent, BuildEventType, BuildRecord, BuildRequestInput, BuildState } from "@buildfleet/shared";
import type { DrainInfo } from "../fleet/types.js";

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

export interface QueueView {
  counts: QueueCounts;
  paused: boolean;
  /** Since when the queue is paused (null when running; absent from older APIs). */
  pausedSince?: string | null;
  /** The drain in progress, if any. */
  drain?: DrainInfo | null;
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
