/**
 * The shapes of the image catalog and rebuild waves that cross the HTTP API
 * (plans, wave nodes, where a base was named), defined once here so the SDK
 * and CLI type them without @buildfleet/shared. The planning itself stays in
 * shared (packages/shared/src/catalog, src/rebuilds).
 */

/** `tenant/name` of a catalog image. */
export type ImageId = string;

/** 0-based positions in the Dockerfile text, as the parser reports them. */
export interface TextPosition {
  line: number;
  character: number;
}
export interface TextRange {
  start: TextPosition;
  end: TextPosition;
}

export type BaseInstruction = "from" | "copy-from" | "run-mount";

/** Where a base was named, so that pinning can rewrite exactly that. `line` is 1-based. */
export type DockerfileBaseSource =
  | { kind: BaseInstruction; line: number; range: TextRange }
  /** The reference is the whole value of a build arg: pinning sets the arg. */
  | { kind: "build-arg"; name: string; instruction: BaseInstruction; line: number };

/** A base read from the Dockerfile, or declared in `spec.bases` (its index there). */
export type BaseSource = DockerfileBaseSource | { kind: "declared"; index: number };

/**
 * How a base of a planned image is treated: `pinned` (rewritten to the new
 * digest), `unpinned` (it changes, but buildfleet cannot rewrite the
 * Dockerfile or knows no digest: built from the tag), `unchanged` (not rebuilt by the wave).
 */
export type PinMode = "pinned" | "unpinned" | "unchanged";

export interface PlannedBase {
  reference: string;
  source: BaseSource;
  pin: PinMode;
  /** The wave node whose new digest this base gets. */
  parent?: ImageId;
  /** The trigger's digest, for a base that names the trigger. */
  digest?: string;
}

export interface PlanNode {
  id: ImageId;
  image: string;
  tenant: string;
  level: number;
  /** Catalog parents inside the wave: the node waits for all of them. */
  parents: ImageId[];
  bases: PlannedBase[];
  warnings: string[];
}

export const WAVE_NODE_STATES = ["pending", "queued", "running", "succeeded", "failed", "skipped", "cancelled"] as const;
export type WaveNodeState = (typeof WAVE_NODE_STATES)[number];
export type WaveState = "running" | "succeeded" | "failed" | "cancelled";
