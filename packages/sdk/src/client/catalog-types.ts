import type { ImageGraph, ImageInput, ImageStatus, PlanNode, WaveNodeState, WaveState, WaveNodeView, WaveView as ContractWaveView, RebuildPlanView } from "@buildfleet/contract";

/** Shapes of /v1/images and /v1/rebuilds as the client sees them (type-only imports, as in types.ts). */

export type { ImageGraph, ImageInput, ImageStatus, PlanNode, WaveNodeState, WaveState, WaveNodeView };

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

/** A dry run's plan: the levels (topological), each node with its bases, warnings, and the levels as a tree for a terminal. */
export type RebuildPlan = RebuildPlanView;

/**
 * A rebuild wave as /v1/rebuilds answers it: the contract's WaveView (inferred
 * from the schema the API's answers are tested against), except that
 * `eventSeq` stays optional here: servers before rebuild events do not send it.
 */
export type WaveView = Omit<ContractWaveView, "eventSeq"> & { eventSeq?: number };

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
