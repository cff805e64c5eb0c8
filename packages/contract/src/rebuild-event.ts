import { z } from "zod";
import { ValidationError } from "./errors/index.js";
import { BuildId } from "./build-id.js";
import { ImageDigest, Tenant, Timestamp } from "./build-record.js";
import { BuildEvent } from "./build-event.js";

/**
 * Rebuild wave events (issue 13), on the same durable stream and SSE as build
 * events and in the same CloudEvents 1.0 JSON format. `subject` is the wave
 * id; `sequence` numbers one wave's events from 1 (ids are `<wave>-<seq>`, so
 * a redelivered event keeps its id). They are written in the same atomic step
 * as the wave transition they announce: each transition is published once.
 *
 * `data.tenants` names who may see the event: a node event its image's tenant,
 * a wave event the wave's tenant (or every tenant with a node in an admin or
 * automatic wave).
 */

export const REBUILD_EVENT_TYPES = [
  "rebuild.started",
  "rebuild.node.queued",
  "rebuild.node.succeeded",
  "rebuild.node.failed",
  "rebuild.node.skipped",
  "rebuild.succeeded",
  "rebuild.failed",
  "rebuild.cancelled",
] as const;
export const RebuildEventType = z.enum(REBUILD_EVENT_TYPES);
export type RebuildEventType = z.infer<typeof RebuildEventType>;

/** The wave id (rw-…); kept here so the contract does not depend on the store. */
export const RebuildId = z.string().regex(/^rw-[0-9a-z]{8,40}$/, { error: "expected a wave id such as rw-lq3c0a1b2c3d4e5f" });

const Tenants = z.array(Tenant).max(1000);
/** A catalog image as `tenant/name`. */
const NodeId = z.string().min(3).max(320);
const attemptNumber = z.number().int().min(1).max(1000);
const Counts = z.record(z.string(), z.number().int().min(0));
const Reason = z.string().max(4096);

export const RebuildStartedData = z.strictObject({
  waveId: RebuildId,
  tenants: Tenants,
  nodes: z.number().int().min(0),
  levels: z.number().int().min(0),
  startedBy: z.string().max(256),
  /** true when `POST /v1/rebuilds/:id/retry` started the wave again. */
  retry: z.boolean().optional(),
  reason: Reason.optional(),
});
export const RebuildNodeQueuedData = z.strictObject({
  waveId: RebuildId,
  tenants: Tenants,
  node: NodeId,
  level: z.number().int().min(0),
  attempt: attemptNumber,
  buildId: BuildId,
  /** base reference → the digest the build is pinned to. */
  builtFrom: z.record(z.string(), ImageDigest),
});
export const RebuildNodeSucceededData = z.strictObject({
  waveId: RebuildId,
  tenants: Tenants,
  node: NodeId,
  attempt: attemptNumber,
  buildId: BuildId.optional(),
  digest: ImageDigest,
});
export const RebuildNodeFailedData = z.strictObject({
  waveId: RebuildId,
  tenants: Tenants,
  node: NodeId,
  attempt: attemptNumber,
  buildId: BuildId.optional(),
  reason: Reason.optional(),
});
export const RebuildNodeSkippedData = z.strictObject({
  waveId: RebuildId,
  tenants: Tenants,
  node: NodeId,
  attempt: attemptNumber,
  /** The failed (or cancelled) node it depended on. */
  skippedBecause: NodeId.optional(),
  reason: Reason.optional(),
});
export const RebuildFinishedData = z.strictObject({
  waveId: RebuildId,
  tenants: Tenants,
  counts: Counts,
  reason: Reason.optional(),
});

export interface RebuildEventDataMap {
  "rebuild.started": z.infer<typeof RebuildStartedData>;
  "rebuild.node.queued": z.infer<typeof RebuildNodeQueuedData>;
  "rebuild.node.succeeded": z.infer<typeof RebuildNodeSucceededData>;
  "rebuild.node.failed": z.infer<typeof RebuildNodeFailedData>;
  "rebuild.node.skipped": z.infer<typeof RebuildNodeSkippedData>;
  "rebuild.succeeded": z.infer<typeof RebuildFinishedData>;
  "rebuild.failed": z.infer<typeof RebuildFinishedData>;
  "rebuild.cancelled": z.infer<typeof RebuildFinishedData>;
}

const DATA_SCHEMAS: { readonly [T in RebuildEventType]: z.ZodType<RebuildEventDataMap[T]> } = {
  "rebuild.started": RebuildStartedData,
  "rebuild.node.queued": RebuildNodeQueuedData,
  "rebuild.node.succeeded": RebuildNodeSucceededData,
  "rebuild.node.failed": RebuildNodeFailedData,
  "rebuild.node.skipped": RebuildNodeSkippedData,
  "rebuild.succeeded": RebuildFinishedData,
  "rebuild.failed": RebuildFinishedData,
  "rebuild.cancelled": RebuildFinishedData,
};

const envelope = <T extends RebuildEventType>(type: T) =>
  z
    .looseObject({
      specversion: z.literal("1.0"),
      id: z.string().min(1).max(256),
      source: z.string().min(1).max(256),
      type: z.literal(type),
      subject: RebuildId,
      time: Timestamp,
      datacontenttype: z.literal("application/json"),
      sequence: z.number().int().min(1),
      data: DATA_SCHEMAS[type],
    })
    .refine((e) => (e.data as { waveId?: unknown } | undefined)?.waveId === e.subject, {
      error: "data.waveId must equal subject",
      path: ["data", "waveId"],
    });

export const RebuildEvent = z.discriminatedUnion("type", [
  envelope("rebuild.started"),
  envelope("rebuild.node.queued"),
  envelope("rebuild.node.succeeded"),
  envelope("rebuild.node.failed"),
  envelope("rebuild.node.skipped"),
  envelope("rebuild.succeeded"),
  envelope("rebuild.failed"),
  envelope("rebuild.cancelled"),
]);
export type RebuildEvent = z.infer<typeof RebuildEvent>;
export type RebuildEventOf<T extends RebuildEventType> = Extract<RebuildEvent, { type: T }>;

/** Anything on the events stream: a build's event or a rebuild wave's. */
export const StreamEvent = z.union([BuildEvent, RebuildEvent]);
export type StreamEvent = BuildEvent | RebuildEvent;

export const isRebuildEvent = (e: { type: string }): e is RebuildEvent => e.type.startsWith("rebuild.");

export interface MakeRebuildEventInit<D> {
  waveId: string;
  sequence: number;
  data: D;
  source: string;
  time?: string | Date;
}

function envelopeOf(type: RebuildEventType, init: MakeRebuildEventInit<unknown>) {
  const time = init.time === undefined ? new Date() : init.time;
  return {
    specversion: "1.0" as const,
    id: `${init.waveId}-${init.sequence}`,
    source: init.source,
    type,
    subject: init.waveId,
    time: typeof time === "string" ? time : time.toISOString(),
    datacontenttype: "application/json" as const,
    sequence: init.sequence,
    data: init.data,
  };
}

/**
 * makeRebuildEvent without its parse: the data's shape is checked by the
 * compiler, its values not at all. For the events a wave write announces,
 * made by the pure waveEvents from the wave's validated parts (a step that
 * queues a 2,000-node level announces 2,000 of them); its tests check that
 * what it makes parses.
 */
export function typedRebuildEvent<T extends RebuildEventType>(type: T, init: MakeRebuildEventInit<RebuildEventDataMap[T]>): RebuildEventOf<T> {
  return envelopeOf(type, init) as unknown as RebuildEventOf<T>;
}

/** Builds a validated rebuild event; throws ValidationError on data that does not match (a bug of ours). */
export function makeRebuildEvent<T extends RebuildEventType>(type: T, init: MakeRebuildEventInit<RebuildEventDataMap[T]>): RebuildEventOf<T>;
export function makeRebuildEvent(type: RebuildEventType, init: MakeRebuildEventInit<unknown>): RebuildEvent {
  const candidate = envelopeOf(type, init);
  const parsed = RebuildEvent.safeParse(candidate);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
    throw new ValidationError(issues, `invalid ${type} event for wave ${init.waveId}: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}
