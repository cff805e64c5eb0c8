import { z } from "zod";
import { BuildId } from "./build-id.js";
import { BuildRequest } from "./build-request.js";
import { BuildState } from "./build-state.js";
import { FailureReason } from "./failure-reason.js";

/**
 * Records that buildfleet itself writes (the queued job payload, the stored
 * build record). Strict, so a misspelt field from our own code fails loudly.
 */

export const Timestamp = z.iso.datetime({ offset: true, error: "expected an ISO 8601 time such as 2024-06-01T12:00:00.000Z" });

/** Tenant names end up in label values and Redis keys: label-value syntax, no ':'. */
export const Tenant = z
  .string()
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/, {
    error: "expected a tenant name: 1 to 63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit",
  });
export type Tenant = z.infer<typeof Tenant>;

export const ImageDigest = z.string().regex(/^sha256:[0-9a-f]{64}$/, { error: "expected sha256: followed by 64 lowercase hex digits" });

const Message = z.string().max(4096);

/**
 * Why a build was cancelled: asked for one by one, by an operator's drain, by a bulk cancel (selector),
 * or by a newer base digest that superseded the automatic rebuild wave it was queued for.
 */
export const CANCEL_REASONS = ["Requested", "Drained", "Selector", "Superseded"] as const;
export const CancelReason = z.enum(CANCEL_REASONS);
export type CancelReason = z.infer<typeof CancelReason>;

/** Base reference → the digest a build was pinned to (a rebuild wave node's build). */
export const BuiltFrom = z.record(z.string().max(512), ImageDigest);
export type BuiltFrom = z.infer<typeof BuiltFrom>;

/**
 * The rebuild wave node a build was submitted for. It travels with the queue
 * entry and the record, so whoever reads the build's events knows it is a
 * wave's before the wave's own write linked it.
 */
export const RebuildOrigin = z.strictObject({
  waveId: z.string().regex(/^rw-[0-9a-z]{8,40}$/),
  nodeId: z.string().min(3).max(320),
  attempt: z.number().int().min(1).max(1000),
  builtFrom: BuiltFrom,
});
export type RebuildOrigin = z.infer<typeof RebuildOrigin>;

/** The BullMQ job payload. */
export const QueuedBuild = z.strictObject({
  buildId: BuildId,
  tenant: Tenant,
  request: BuildRequest,
  submittedAt: Timestamp,
  /** The build this one re-runs (buildfleet retry); kept after tenant so tenant-counts' pattern still matches. */
  retryOf: BuildId.optional(),
  /** A scheduled mirror's build: the source digest it is pinned to (FROM source@digest). */
  sourceDigest: ImageDigest.optional(),
  rebuild: RebuildOrigin.optional(),
});
export type QueuedBuild = z.infer<typeof QueuedBuild>;

/** One pod run of the build's Job. */
export const Attempt = z.strictObject({
  /** 1 for the first attempt: the same number as `attempt` in build events. */
  index: z.number().int().min(1).max(100),
  podName: z.string().max(253).optional(),
  startedAt: Timestamp.optional(),
  finishedAt: Timestamp.optional(),
  exitCode: z.number().int().optional(),
  /** Kubernetes' word for how the container ended, e.g. OOMKilled, Error. */
  reason: z.string().max(256).optional(),
  message: Message.optional(),
});
export type Attempt = z.infer<typeof Attempt>;

export const BuildFailure = z.strictObject({ reason: FailureReason, message: Message });
export type BuildFailure = z.infer<typeof BuildFailure>;

/** What Redis stores and the API serves. */
export const BuildRecord = z.strictObject({
  id: BuildId,
  tenant: Tenant,
  state: BuildState,
  request: BuildRequest,
  jobName: z
    .string()
    .max(63)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: "expected a DNS-1123 label (the Kubernetes Job name)" })
    .optional(),
  attempts: z.array(Attempt).max(100).default([]),
  digest: ImageDigest.optional(),
  failure: BuildFailure.optional(),
  /** The request's caller labels, copied so that listing can filter without parsing requests. */
  labels: z.record(z.string().max(317), z.string().max(63)).default({}),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  startedAt: Timestamp.optional(),
  finishedAt: Timestamp.optional(),
  /**
   * Set when a cancel was asked for while a worker may hold the build; the
   * mark survives a missed pub/sub message, so the owner (or the next worker
   * to take the build) still acts on it.
   */
  cancelRequestedAt: Timestamp.optional(),
  /** Who asked for the cancel, as given to the API. */
  cancelledBy: z.string().max(256).optional(),
  /** Why: Requested, Drained (queue drain) or Selector (bulk cancel); carried into build.cancelled. */
  cancelReason: CancelReason.optional(),
  /** The build this one re-runs with the same request (buildfleet retry). */
  retryOf: BuildId.optional(),
  /** A scheduled mirror's build: the source digest it is pinned to, carried into build.succeeded; the next firing skips while the source still has it. */
  sourceDigest: ImageDigest.optional(),
  /** A rebuild wave node's build: its wave node and the base digests it was pinned to (carried into build.succeeded). */
  rebuild: RebuildOrigin.optional(),
  /** Sequence number of the last event published for this build (0 before the first). */
  sequence: z.number().int().min(0),
});
export type BuildRecord = z.infer<typeof BuildRecord>;
