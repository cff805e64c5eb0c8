import type { ImageGraph, ImageInput, ImageStatus, PlanNode, WaveNodeState, WaveState } from "@buildfleet/contract";

/** Shapes of /v1/images and /v1/rebuilds as the client sees them (type-only imports, as in types.ts). */

export type { ImageGraph, ImageInput, ImageStatus, PlanNode, WaveNodeState, WaveState };

/**
 * A stored Image with what buildfleet knows about it: the contract's ImageView
 * (status inferred from the schema the API answers with), its document typed
 * as the Image it was applied as.
 */
export type ImageView = ImageInput & { status: ImageStatus };

export interface ApplyResult {
  result: "created" | "configured" | "unchanged";
  image: ImageView;
}

export interface RebuildPlan {
  levels: string[][];
  nodes: PlanNode[];
  warnings: string[];
  /** The levels as a tree for a terminal. */
  tree: string;
}

export interface WaveNodeView {
  id: string;
  image: string;
  tenant: string;
  level: number;
  parents: string[];
  state: WaveNodeState;
  attempt: number;
  buildId: string | null;
  digest: string | null;
  reason?: string;
  skippedBecause?: string;
  bases: PlanNode["bases"];
  pins: { base: string; digest: string; state: "pinned" | "unpinned"; pinnedTo?: string }[];
  warnings: string[];
}

export interface WaveView {
  id: string;
  state: WaveState;
  startedBy: string;
  /** `dependents`: a schedule cascade, for just these of the base image's dependents (ids). */
  trigger: { base: string; digest?: string; dependents?: string[] } | { images: string[] };
  reason?: string;
  priority: string;
  options: { maxInFlight: number; onFailure: "skip-dependents" | "stop" };
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** The sequence of the last rebuild.* event the view includes (absent from older servers). */
  eventSeq?: number;
  counts: Record<WaveNodeState, number>;
  levels: string[][];
  warnings: string[];
  nodes: WaveNodeView[];
}

export interface RebuildRequest {
  /** An image reference, or an Image name (that image first, then everything below it). */
  base?: string;
  /** Just these Images, in dependency order. */
  images?: string[];
  maxInFlight?: number;
  onFailure?: "skip-dependents" | "stop";
  reason?: string;
  priority?: "interactive" | "normal" | "bulk";
}
