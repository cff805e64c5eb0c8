import { z } from "zod";
import { BuildEvent } from "../build-event.js";
import { BuildRecord, Timestamp } from "../build-record.js";
import { BuildState } from "../build-state.js";
import { Priority } from "../priority.js";
import { ERROR_CODES } from "../errors/index.js";

/**
 * The HTTP API v1 response bodies, defined once: the API answers with them,
 * /openapi.json is generated from them, the SDK's types are inferred from them
 * and its fake API builds them, so a change that breaks a client breaks a test.
 */

export const BuildLinks = z.strictObject({ self: z.string(), logs: z.string(), events: z.string(), cancel: z.string() });
export type BuildLinks = z.infer<typeof BuildLinks>;

/** `POST /v1/builds` answer: 202 for a new build, 200 when an idempotency key matched an existing one. */
export const BuildSummary = z.strictObject({
  id: z.string(),
  state: BuildState,
  /** 1-based place among waiting builds; null once a worker took it (or it finished). */
  queuePosition: z.number().int().min(1).nullable(),
  /**
   * Estimated seconds until a worker takes it (while queued): its position over the running slots
   * its lane may use, at the median of the lane's recent build durations. Null when not queued or
   * there is nothing to estimate from (no worker, no build finished in the lane yet); absent from
   * older servers. An estimate: later interactive builds still go ahead of normal and bulk ones.
   */
  etaSeconds: z.number().int().min(0).nullable().optional(),
  /** True when an idempotency key returned an existing build. */
  idempotent: z.boolean(),
  links: BuildLinks,
});
export type BuildSummary = z.infer<typeof BuildSummary>;

/** `GET /v1/builds/:id`: the record plus its CloudEvents history, oldest first. */
export const BuildView = BuildRecord.extend({
  events: z.array(BuildEvent),
  /** While queued: as in the submit answer (null otherwise; absent from older servers). */
  queuePosition: z.number().int().min(1).nullable().optional(),
  /** While queued: as in the submit answer (null otherwise; absent from older servers). */
  etaSeconds: z.number().int().min(0).nullable().optional(),
});
export type BuildView = z.infer<typeof BuildView>;

/** `GET /v1/builds`: one page, newest first. */
export const BuildList = z.strictObject({ items: z.array(BuildRecord), nextCursor: z.string().nullable() });
export type BuildList = z.infer<typeof BuildList>;

export const QueueCounts = z.strictObject({
  waiting: z.number().int(),
  active: z.number().int(),
  delayed: z.number().int(),
  prioritized: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
});
export type QueueCounts = z.infer<typeof QueueCounts>;

/** `GET /v1/queue` (and the pause/resume answers). */
/** A drain in progress (issue 15), as stored. */
export const DrainState = z.strictObject({
  since: Timestamp,
  /** Who started it (api:<tenant>). */
  by: z.string().max(256),
  reason: z.string().max(512).optional(),
  cancelQueued: z.boolean(),
  /** Submissions are answered 503 with Retry-After while this is set. */
  rejectNew: z.boolean(),
});
export type DrainState = z.infer<typeof DrainState>;

/** The drain as GET /v1/queue shows it: draining while builds still run, drained at zero. */
export const DrainView = DrainState.extend({ state: z.enum(["draining", "drained"]) });
export type DrainView = z.infer<typeof DrainView>;

const count = z.number().int().min(0);
/** Builds created within the last `windowHours`, by their state now (from the build records, not BullMQ). */
export const BuildCounts = z.strictObject({
  windowHours: z.number().int(),
  /** True when more builds than could be counted fell in the window (the counts are of the newest). */
  truncated: z.boolean(),
  queued: count,
  starting: count,
  running: count,
  retrying: count,
  succeeded: count,
  failed: count,
  cancelled: count,
});
export type BuildCounts = z.infer<typeof BuildCounts>;

export const QueueView = z.strictObject({
  /** Build outcomes from the build records (the last 24 h). */
  builds: BuildCounts,
  /** BullMQ's job counts: a failed build is a completed job here. */
  counts: QueueCounts,
  paused: z.boolean(),
  /** Since when (pause ledger; paused time does not count as queue time). */
  pausedSince: z.string().nullable(),
  drain: DrainView.nullable(),
});
export type QueueView = z.infer<typeof QueueView>;

/** One lane's jobs in the queue now (waiting counts prioritized jobs too). */
export const LaneCounts = z.strictObject({ lane: Priority, waiting: count, active: count, delayed: count });
export type LaneCounts = z.infer<typeof LaneCounts>;

/** `GET /v1/queue/lanes` (admin): every lane in lane order, zeros included. */
export const QueueLanes = z.strictObject({ lanes: z.array(LaneCounts) });
export type QueueLanes = z.infer<typeof QueueLanes>;

export const ErrorIssue = z.strictObject({ path: z.string(), message: z.string(), example: z.string().optional() });
export type ErrorIssue = z.infer<typeof ErrorIssue>;

/** Shape of every API error body. */
export const ErrorBody = z.strictObject({
  error: z.strictObject({ code: z.enum(ERROR_CODES), message: z.string(), issues: z.array(ErrorIssue).optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** One Server-Sent Event of `GET /v1/events`: the Redis stream id and the CloudEvent. */
export const StreamedEvent = z.strictObject({ id: z.string(), type: z.string(), event: BuildEvent });
export type StreamedEvent = z.infer<typeof StreamedEvent>;
