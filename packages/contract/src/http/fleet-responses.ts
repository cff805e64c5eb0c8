import { z } from "zod";
import { Timestamp } from "../build-record.js";

/**
 * Response bodies of /v1/workers, /v1/images and /v1/schedules, defined once
 * (as responses.ts does for builds and the queue): the API parses its answers
 * with them, /openapi.json is generated from them, the SDK and the dashboard
 * take their types from them. The documents an answer echoes (an Image's or
 * a Schedule's apiVersion, metadata and spec) were validated when stored and
 * stay open here; what buildfleet adds (status) is strict.
 */

/** A worker as GET /v1/workers lists it: its last report; `gone` once it missed the heartbeat bound. */
export const WorkerView = z.strictObject({
  id: z.string().min(1).max(253),
  host: z.string().max(253),
  pid: z.number().int().min(0),
  version: z.string().max(64),
  capacity: z.number().int().min(0),
  inFlight: z.number().int().min(0),
  state: z.enum(["running", "quiet", "gone"]),
  startedAt: Timestamp,
  heartbeatAt: Timestamp,
  /** The answer to quiet/resume: what was asked for (the worker applies it on its next beat). */
  wanted: z.enum(["running", "quiet"]).optional(),
});
export type WorkerView = z.infer<typeof WorkerView>;

export const WorkerList = z.strictObject({ items: z.array(WorkerView) });
export type WorkerList = z.infer<typeof WorkerList>;

const Document = { apiVersion: z.string(), metadata: z.looseObject({ name: z.string(), labels: z.record(z.string(), z.string()).optional() }) };

export const ImageStatus = z.strictObject({
  tenant: z.string(),
  /** `tenant/name`. */
  id: z.string(),
  generation: z.number().int().min(0),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  bases: z.discriminatedUnion("state", [
    z.strictObject({ state: z.literal("resolved"), bases: z.array(z.strictObject({ reference: z.string(), from: z.string() })) }),
    z.strictObject({ state: z.literal("unresolved"), reason: z.string() }),
  ]),
  /** GET one image only: its place in the catalog's FROM graph. */
  parents: z.array(z.string()).optional(),
  children: z.array(z.string()).optional(),
  dependents: z.array(z.string()).optional(),
  lastBuild: z.string().nullable(),
  lastDigest: z.string().nullable(),
  builtFrom: z.record(z.string(), z.string()),
});
export type ImageStatus = z.infer<typeof ImageStatus>;

/** A stored Image (the document as applied) with what buildfleet knows about it. */
export const ImageView = z.looseObject({ ...Document, kind: z.literal("Image"), spec: z.looseObject({}), status: ImageStatus });
export type ImageView = z.infer<typeof ImageView>;

export const ImageList = z.strictObject({ items: z.array(ImageView) });
export type ImageList = z.infer<typeof ImageList>;

/** `GET /v1/images/graph` (format=json). */
export const ImageGraph = z.strictObject({
  nodes: z.array(z.strictObject({ id: z.string(), tenant: z.string(), name: z.string(), resolved: z.boolean(), destinations: z.array(z.string()) })),
  edges: z.array(z.strictObject({ from: z.string(), to: z.string(), reference: z.string(), via: z.string() })),
});
export type ImageGraph = z.infer<typeof ImageGraph>;

/**
 * One firing of a schedule, as its history (status.runs, newest first) shows
 * it — and as the schedule store keeps it (shared's ScheduleRun is this
 * schema), so what is stored and what is answered cannot drift.
 */
export const ScheduleRunView = z.strictObject({
  fireAt: Timestamp,
  trigger: z.enum(["cron", "manual"]),
  outcome: z.enum(["built", "skipped", "failed", "missed"]),
  /** skipped: "unchanged" | "previous still running"; failed: why; missed: past the starting deadline. */
  reason: z.string().max(1024).optional(),
  buildId: z.string().optional(),
  /** The source digest a mirror firing resolved (the one it built FROM, or found unchanged). */
  sourceDigest: z.string().optional(),
  /** Replace: the build this firing cancelled. */
  replaced: z.string().optional(),
  /** The base digests an image firing resolved (canonical base reference → digest): what it was pinned to, or found unchanged. */
  baseDigests: z.record(z.string(), z.string()).optional(),
  /** cascade: what became of the build's digest — a rebuild wave for its dependents, or why none. */
  cascade: z.enum(["wave", "unchanged", "not-succeeded", "no-dependents", "failed"]).optional(),
  /** cascade: the wave it started, or why starting it failed. */
  waveId: z.string().optional(),
  cascadeReason: z.string().max(1024).optional(),
});
export type ScheduleRunView = z.infer<typeof ScheduleRunView>;

export const ScheduleStatus = z.strictObject({
  tenant: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** null while suspended. */
  next: Timestamp.nullable(),
  last: Timestamp.nullable(),
  result: z.string().nullable(),
  runs: z.array(ScheduleRunView),
});
export type ScheduleStatus = z.infer<typeof ScheduleStatus>;

export const ScheduleView = z.looseObject({
  ...Document,
  kind: z.literal("Schedule"),
  spec: z.looseObject({
    cron: z.string(),
    timeZone: z.string(),
    target: z.looseObject({
      mirror: z.looseObject({ source: z.string(), destinations: z.array(z.string()) }).optional(),
      image: z.string().optional(),
      build: z.record(z.string(), z.unknown()).optional(),
    }),
    skipIfUnchanged: z.boolean(),
    cascade: z.boolean(),
    concurrencyPolicy: z.enum(["Forbid", "Replace", "Allow"]),
    startingDeadlineSeconds: z.number().int(),
    suspend: z.boolean(),
  }),
  status: ScheduleStatus,
});
export type ScheduleView = z.infer<typeof ScheduleView>;

export const ScheduleList = z.strictObject({ items: z.array(ScheduleView) });
export type ScheduleList = z.infer<typeof ScheduleList>;
