import { z } from "zod";
import { ValidationError } from "./errors/index.js";
import { BuildId } from "./build-id.js";
import { BuiltFrom, CancelReason, ImageDigest, Tenant, Timestamp } from "./build-record.js";
import { FailureReason } from "./failure-reason.js";
import { Priority } from "./priority.js";

/**
 * Build events in the CloudEvents 1.0 JSON format. `subject` is the build id;
 * `sequence` is an extension attribute numbering one build's events from 1,
 * so a consumer can order them and drop duplicates. Event ids are derived from
 * (build id, sequence): a re-delivered event keeps its id.
 */

export const BUILD_EVENT_TYPES = [
  "build.queued",
  "build.started",
  "build.running",
  "build.retrying",
  "build.succeeded",
  "build.failed",
  "build.cancelled",
] as const;
export const BuildEventType = z.enum(BUILD_EVENT_TYPES);
export type BuildEventType = z.infer<typeof BuildEventType>;

const attemptNumber = z.number().int().min(1).max(100);
const Destinations = z.array(z.string().max(512)).min(1).max(10);

export const BuildQueuedData = z.strictObject({
  buildId: BuildId,
  tenant: Tenant,
  priority: Priority,
  destinations: Destinations,
});
export const BuildStartedData = z.strictObject({ buildId: BuildId, jobName: z.string().min(1).max(63), attempt: attemptNumber });
/** An attempt's pod is running (state `running`): the first, or the next one after `build.retrying`. */
export const BuildRunningData = z.strictObject({
  buildId: BuildId,
  jobName: z.string().min(1).max(63),
  attempt: attemptNumber,
  podName: z.string().max(253).optional(),
});
export const BuildRetryingData = z.strictObject({
  buildId: BuildId,
  /** The attempt about to run (2 after the first failure). */
  attempt: attemptNumber,
  /** How the attempt before it ended. */
  previous: z.strictObject({
    exitCode: z.number().int().optional(),
    reason: z.string().max(256).optional(),
    message: z.string().max(4096).optional(),
  }),
});
export const BuildSucceededData = z.strictObject({
  buildId: BuildId,
  digest: ImageDigest,
  destinations: Destinations,
  attempts: attemptNumber,
  /** A scheduled mirror's build: the source digest it was pinned to (FROM source@digest), as in the record. */
  sourceDigest: ImageDigest.optional(),
  /** A rebuild wave node's build: base reference → the digest it was built from. */
  builtFrom: BuiltFrom.optional(),
});
export const BuildFailedData = z.strictObject({
  buildId: BuildId,
  reason: FailureReason,
  message: z.string().max(4096),
  /** 0 when no attempt ran (e.g. QueueTimeout). */
  attempts: z.number().int().min(0).max(100),
});
export const BuildCancelledData = z.strictObject({
  buildId: BuildId,
  by: z.string().max(256).optional(),
  reason: CancelReason.optional(),
});

export interface BuildEventDataMap {
  "build.queued": z.infer<typeof BuildQueuedData>;
  "build.started": z.infer<typeof BuildStartedData>;
  "build.running": z.infer<typeof BuildRunningData>;
  "build.retrying": z.infer<typeof BuildRetryingData>;
  "build.succeeded": z.infer<typeof BuildSucceededData>;
  "build.failed": z.infer<typeof BuildFailedData>;
  "build.cancelled": z.infer<typeof BuildCancelledData>;
}

const DATA_SCHEMAS: { readonly [T in BuildEventType]: z.ZodType<BuildEventDataMap[T]> } = {
  "build.queued": BuildQueuedData,
  "build.started": BuildStartedData,
  "build.running": BuildRunningData,
  "build.retrying": BuildRetryingData,
  "build.succeeded": BuildSucceededData,
  "build.failed": BuildFailedData,
  "build.cancelled": BuildCancelledData,
};

// Loose envelope: CloudEvents allows extension attributes we do not know.
const envelope = <T extends BuildEventType>(type: T) =>
  z
    .looseObject({
      specversion: z.literal("1.0"),
      id: z.string().min(1).max(256),
      source: z.string().min(1).max(256),
      type: z.literal(type),
      subject: BuildId,
      time: Timestamp,
      datacontenttype: z.literal("application/json"),
      sequence: z.number().int().min(1),
      data: DATA_SCHEMAS[type],
    })
    .refine((e) => (e.data as { buildId?: unknown } | undefined)?.buildId === e.subject, {
      error: "data.buildId must equal subject",
      path: ["data", "buildId"],
    });

export const BuildEvent = z.discriminatedUnion("type", [
  envelope("build.queued"),
  envelope("build.started"),
  envelope("build.running"),
  envelope("build.retrying"),
  envelope("build.succeeded"),
  envelope("build.failed"),
  envelope("build.cancelled"),
]);
export type BuildEvent = z.infer<typeof BuildEvent>;
export type BuildEventOf<T extends BuildEventType> = Extract<BuildEvent, { type: T }>;

export interface MakeBuildEventInit<D> {
  buildId: string;
  sequence: number;
  data: D;
  /** URI reference of the producer, e.g. "/buildfleet/worker". */
  source: string;
  /** Defaults to now. */
  time?: string | Date;
}

/** The event id: stable for (build, sequence), so duplicates can be recognised. */
export function buildEventId(buildId: string, sequence: number): string {
  return `${buildId}-${sequence}`;
}

function envelopeOf(type: BuildEventType, init: MakeBuildEventInit<unknown>) {
  const time = init.time === undefined ? new Date() : init.time;
  return {
    specversion: "1.0" as const,
    id: buildEventId(init.buildId, init.sequence),
    source: init.source,
    type,
    subject: init.buildId,
    time: typeof time === "string" ? time : time.toISOString(),
    datacontenttype: "application/json" as const,
    sequence: init.sequence,
    data: init.data,
  };
}

/**
 * makeBuildEvent without its parse: the data's shape is checked by the
 * compiler, its values not at all. Only for data copied from values
 * validated already (a batch of thousands of new records, where a parse per
 * event is a large part of the batch's cost); anything else takes makeBuildEvent.
 */
export function typedBuildEvent<T extends BuildEventType>(type: T, init: MakeBuildEventInit<BuildEventDataMap[T]>): BuildEventOf<T> {
  return envelopeOf(type, init) as unknown as BuildEventOf<T>;
}

/**
 * Builds a validated event. Throws ValidationError when the data does not
 * match the type's schema (events are produced by our own code: that is a bug).
 */
export function makeBuildEvent<T extends BuildEventType>(type: T, init: MakeBuildEventInit<BuildEventDataMap[T]>): BuildEventOf<T>;
export function makeBuildEvent(type: BuildEventType, init: MakeBuildEventInit<Record<string, unknown>>): BuildEvent;
export function makeBuildEvent(type: BuildEventType, init: MakeBuildEventInit<unknown>): BuildEvent {
  const candidate = envelopeOf(type, init);
  const parsed = BuildEvent.safeParse(candidate);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
    throw new ValidationError(issues, `invalid ${type} event for build ${init.buildId}: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}
