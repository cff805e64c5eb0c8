import { z } from "zod";
import { BuildId } from "../build-id.js";
import { Timestamp } from "../build-record.js";
import { Priority } from "../priority.js";
import { RebuildId } from "../rebuild-event.js";

/**
 * The shapes of the image catalog and rebuild waves that cross the HTTP API
 * (plans, wave nodes, where a base was named), defined once here so the SDK
 * and CLI type them without @buildfleet/shared. The planning itself stays in
 * shared (packages/shared/src/catalog, src/rebuilds), which produces these
 * values: the schemas are what the API answers with, parsed in its tests.
 */

/** `tenant/name` of a catalog image. */
export type ImageId = string;
const ImageId = z.string();

/** 0-based positions in the Dockerfile text, as the parser reports them. */
export const TextPosition = z.strictObject({ line: z.number().int().min(0), character: z.number().int().min(0) });
export type TextPosition = z.infer<typeof TextPosition>;
export const TextRange = z.strictObject({ start: TextPosition, end: TextPosition });
export type TextRange = z.infer<typeof TextRange>;

export const BaseInstruction = z.enum(["from", "copy-from", "run-mount"]);
export type BaseInstruction = z.infer<typeof BaseInstruction>;

/** Where a base was named, so that pinning can rewrite exactly that. `line` is 1-based. */
export const DockerfileBaseSource = z.union([
  z.strictObject({ kind: BaseInstruction, line: z.number().int().min(1), range: TextRange }),
  /** The reference is the whole value of a build arg: pinning sets the arg. */
  z.strictObject({ kind: z.literal("build-arg"), name: z.string(), instruction: BaseInstruction, line: z.number().int().min(1) }),
]);
export type DockerfileBaseSource = z.infer<typeof DockerfileBaseSource>;

/** A base read from the Dockerfile, or declared in `spec.bases` (its index there). */
export const BaseSource = z.union([...DockerfileBaseSource.options, z.strictObject({ kind: z.literal("declared"), index: z.number().int().min(0) })]);
export type BaseSource = z.infer<typeof BaseSource>;

/**
 * How a base of a planned image is treated: `pinned` (rewritten to the new
 * digest), `unpinned` (it changes, but buildfleet cannot rewrite the
 * Dockerfile or knows no digest: built from the tag), `unchanged` (not rebuilt by the wave).
 */
export const PinMode = z.enum(["pinned", "unpinned", "unchanged"]);
export type PinMode = z.infer<typeof PinMode>;

export const PlannedBase = z.strictObject({
  reference: z.string(),
  source: BaseSource,
  pin: PinMode,
  /** The wave node whose new digest this base gets. */
  parent: ImageId.optional(),
  /** The trigger's digest, for a base that names the trigger. */
  digest: z.string().optional(),
});
export type PlannedBase = z.infer<typeof PlannedBase>;

export const PlanNode = z.strictObject({
  id: ImageId,
  image: z.string(),
  tenant: z.string(),
  level: z.number().int().min(0),
  /** Catalog parents inside the wave: the node waits for all of them. */
  parents: z.array(ImageId),
  bases: z.array(PlannedBase),
  warnings: z.array(z.string()),
});
export type PlanNode = z.infer<typeof PlanNode>;

export const WAVE_NODE_STATES = ["pending", "queued", "running", "succeeded", "failed", "skipped", "cancelled"] as const;
export const WaveNodeState = z.enum(WAVE_NODE_STATES);
export type WaveNodeState = z.infer<typeof WaveNodeState>;
export const WaveState = z.enum(["running", "succeeded", "failed", "cancelled"]);
export type WaveState = z.infer<typeof WaveState>;

/** What a node's build was pinned to: each base it rewrote (or could not) and the digest. */
export const WaveNodePin = z.strictObject({
  base: z.string(),
  digest: z.string(),
  state: PinMode.exclude(["unchanged"]),
  pinnedTo: z.string().optional(),
});
export type WaveNodePin = z.infer<typeof WaveNodePin>;

/**
 * A wave node as /v1/rebuilds answers it: its plan node (a node missing from
 * the plan is answered with tenant "" and no bases rather than failing the
 * answer), its state and its current attempt's build.
 */
export const WaveNodeView = PlanNode.extend({
  state: WaveNodeState,
  attempt: z.number().int().min(0),
  /** The build of the node's current attempt; null before it is submitted. */
  buildId: BuildId.nullable(),
  digest: z.string().nullable(),
  /** Sent only when set: why it failed or was cancelled. */
  reason: z.string().optional(),
  /** Sent only for a skipped node: the node whose failure skipped it. */
  skippedBecause: ImageId.optional(),
  pins: z.array(WaveNodePin),
});
export type WaveNodeView = z.infer<typeof WaveNodeView>;

/** A rebuild wave as POST/GET /v1/rebuilds[/:id] and cancel/retry answer it. */
export const WaveView = z.strictObject({
  id: RebuildId,
  state: WaveState,
  /** The tenant whose token started it ("" for an automatic wave). */
  startedBy: z.string(),
  /** `dependents`: a schedule cascade, for just these of the base image's dependents (ids). */
  trigger: z.union([z.strictObject({ base: z.string(), digest: z.string().optional(), dependents: z.array(ImageId).optional() }), z.strictObject({ images: z.array(ImageId) })]),
  /** Sent only when the wave was started with one. */
  reason: z.string().optional(),
  priority: Priority,
  options: z.strictObject({ maxInFlight: z.number().int().min(1), onFailure: z.enum(["skip-dependents", "stop"]) }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  finishedAt: Timestamp.nullable(),
  /** The sequence of the last rebuild.* event this view includes: a live view applies only later ones. */
  eventSeq: z.number().int().min(0),
  /** Every node state, 0 included. */
  counts: z.record(WaveNodeState, z.number().int().min(0)),
  levels: z.array(z.array(ImageId)),
  warnings: z.array(z.string()),
  nodes: z.array(WaveNodeView),
});
export type WaveView = z.infer<typeof WaveView>;

/** GET /v1/rebuilds: waves newest first. */
export const WaveList = z.strictObject({ items: z.array(WaveView) });
export type WaveList = z.infer<typeof WaveList>;

/** A wave's plan as a dry run answers it: the levels (topological), each node, and the levels as a tree for a terminal. */
export const RebuildPlanView = z.strictObject({
  levels: z.array(z.array(ImageId)),
  nodes: z.array(PlanNode),
  /** Why something is not in the plan, or is built from a tag (e.g. "no catalog image … builds FROM …"). */
  warnings: z.array(z.string()),
  tree: z.string(),
});
export type RebuildPlanView = z.infer<typeof RebuildPlanView>;

/** POST /v1/rebuilds with `dryRun: true` (200; nothing enqueued). */
export const DryRunAnswer = z.strictObject({ dryRun: z.literal(true), plan: RebuildPlanView });
export type DryRunAnswer = z.infer<typeof DryRunAnswer>;
