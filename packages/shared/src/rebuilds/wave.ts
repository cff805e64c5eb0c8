import { z } from "zod";
import type { ImageId } from "../catalog/graph.js";
import type { PlanNode, WavePlan } from "./plan.js";

/**
 * The state machine of a running wave, pure: the coordinator feeds it the
 * outcomes of node builds (from the durable event stream) and does what it
 * answers — enqueue these nodes, cancel those builds, emit these changes.
 *
 * - A node is enqueued only when every catalog parent of it in the wave has
 *   succeeded, and at most `maxInFlight` nodes are queued or running at once.
 * - `skip-dependents`: a failed (or cancelled) node's descendants are
 *   `skipped`, naming it; the rest goes on. `stop`: after the first failure
 *   nothing new starts; what has not started is skipped, naming the failure.
 * - Outcomes are idempotent: a redelivered outcome, one for a node that is not
 *   in flight, or one from an earlier attempt (before a retry) changes nothing.
 *   Each enqueue carries the node's attempt, which the coordinator puts in the
 *   build's idempotency key so a node is never built twice for one attempt.
 */

import { WAVE_NODE_STATES, type WaveNodeState, type WaveState } from "@buildfleet/contract";
export { WAVE_NODE_STATES };
export type { WaveNodeState, WaveState };
export const ON_FAILURE = ["skip-dependents", "stop"] as const;
export const DEFAULT_MAX_IN_FLIGHT = 10;
export const MAX_MAX_IN_FLIGHT = 1000;

export const WaveOptions = z.strictObject({
  maxInFlight: z
    .number()
    .int({ error: "expected a whole number" })
    .min(1, { error: `expected 1 to ${MAX_MAX_IN_FLIGHT}` })
    .max(MAX_MAX_IN_FLIGHT, { error: `expected 1 to ${MAX_MAX_IN_FLIGHT}` })
    .default(DEFAULT_MAX_IN_FLIGHT),
  onFailure: z.enum(ON_FAILURE).default("skip-dependents"),
});
export type WaveOptions = z.infer<typeof WaveOptions>;
export type WaveOptionsInput = z.input<typeof WaveOptions>;

export interface WaveNode {
  id: ImageId;
  level: number;
  /** Catalog parents in the wave. */
  parents: readonly ImageId[];
  children: readonly ImageId[];
  state: WaveNodeState;
  /** 1 for the first build; a retry starts the next. */
  attempt: number;
  digest?: string;
  reason?: string;
  /** For `skipped`: the failed (or cancelled) node it depends on. */
  skippedBecause?: ImageId;
}

/** Plain data (JSON-safe), so an adapter can store it as it is. */
export interface Wave {
  options: WaveOptions;
  /** In plan order: by level, then by id. */
  nodes: readonly WaveNode[];
  /** Position of each id in `nodes`. */
  index: Readonly<Record<ImageId, number>>;
  cancelRequested: boolean;
  /** The node whose failure stopped a `stop` wave. */
  stoppedBy?: ImageId;
}

export type NodeOutcome =
  | { id: ImageId; attempt: number; type: "started" }
  | { id: ImageId; attempt: number; type: "succeeded"; digest: string }
  | { id: ImageId; attempt: number; type: "failed"; reason?: string }
  | { id: ImageId; attempt: number; type: "cancelled"; reason?: string };

export interface NodeChange {
  id: ImageId;
  from: WaveNodeState;
  to: WaveNodeState;
  attempt: number;
  digest?: string;
  reason?: string;
  skippedBecause?: ImageId;
}

export interface Step {
  wave: Wave;
  changes: NodeChange[];
}

export function startWave(plan: WavePlan, options: WaveOptionsInput = {}): Wave {
  const children = new Map<ImageId, ImageId[]>();
  for (const node of plan.nodes) {
    for (const parent of node.parents) {
      const list = children.get(parent);
      if (list === undefined) children.set(parent, [node.id]);
      else list.push(node.id);
    }
  }
  const index: Record<ImageId, number> = {};
  const nodes = plan.nodes.map((node, i): WaveNode => {
    index[node.id] = i;
    return { id: node.id, level: node.level, parents: node.parents, children: children.get(node.id) ?? [], state: "pending", attempt: 1 };
  });
  return { options: WaveOptions.parse(options), nodes, index, cancelRequested: false };
}

/** Copy-on-write over the node list: unchanged nodes are shared, and nothing changes means the same wave back. */
class Draft {
  private nodes: WaveNode[] | undefined;
  readonly changes: NodeChange[] = [];
  stoppedBy: ImageId | undefined;
  cancelRequested: boolean;

  constructor(private readonly wave: Wave) {
    this.stoppedBy = wave.stoppedBy;
    this.cancelRequested = wave.cancelRequested;
  }

  options(): WaveOptions {
    return this.wave.options;
  }

  get(id: ImageId): WaveNode | undefined {
    const i = this.wave.index[id];
    return i === undefined ? undefined : (this.nodes ?? this.wave.nodes)[i];
  }

  all(): readonly WaveNode[] {
    return this.nodes ?? this.wave.nodes;
  }

  set(node: WaveNode, to: WaveNodeState, extra: Partial<Pick<WaveNode, "digest" | "reason" | "skippedBecause" | "attempt">> = {}): void {
    const next: WaveNode = { id: node.id, level: node.level, parents: node.parents, children: node.children, state: to, attempt: extra.attempt ?? node.attempt };
    // A succeeded node keeps its digest; a reset node forgets why it failed.
    const digest = extra.digest ?? (to === "succeeded" ? node.digest : undefined);
    if (digest !== undefined) next.digest = digest;
    if (extra.reason !== undefined) next.reason = extra.reason;
    if (extra.skippedBecause !== undefined) next.skippedBecause = extra.skippedBecause;
    this.nodes ??= this.wave.nodes.slice();
    this.nodes[this.wave.index[node.id]!] = next;
    const change: NodeChange = { id: node.id, from: node.state, to, attempt: next.attempt };
    if (next.digest !== undefined && to === "succeeded") change.digest = next.digest;
    if (next.reason !== undefined) change.reason = next.reason;
    if (next.skippedBecause !== undefined) change.skippedBecause = next.skippedBecause;
    this.changes.push(change);
  }

  done(): Step {
    const same = this.nodes === undefined && this.stoppedBy === this.wave.stoppedBy && this.cancelRequested === this.wave.cancelRequested;
    if (same) return { wave: this.wave, changes: [] };
    const wave: Wave = { options: this.wave.options, nodes: this.nodes ?? this.wave.nodes, index: this.wave.index, cancelRequested: this.cancelRequested };
    if (this.stoppedBy !== undefined) wave.stoppedBy = this.stoppedBy;
    return { wave, changes: this.changes };
  }
}

const inFlight = (state: WaveNodeState) => state === "queued" || state === "running";

/** Every pending descendant of `from` becomes skipped, naming it. */
function skipBelow(draft: Draft, from: WaveNode, reason: string): void {
  const queue = [...from.children];
  const seen = new Set<ImageId>(queue);
  for (let i = 0; i < queue.length; i++) {
    const node = draft.get(queue[i]!);
    if (node === undefined) continue;
    if (node.state === "pending") draft.set(node, "skipped", { skippedBecause: from.id, reason });
    for (const child of node.children) {
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
}

function applyOne(draft: Draft, outcome: NodeOutcome): void {
  const node = draft.get(outcome.id);
  if (node === undefined || node.attempt !== outcome.attempt || !inFlight(node.state)) return;
  switch (outcome.type) {
    case "started":
      if (node.state === "queued") draft.set(node, "running");
      return;
    case "succeeded":
      draft.set(node, "succeeded", { digest: outcome.digest });
      return;
    case "failed": {
      draft.set(node, "failed", outcome.reason === undefined ? {} : { reason: outcome.reason });
      if (draft.options().onFailure === "stop" && !draft.cancelRequested) {
        draft.stoppedBy ??= node.id;
        for (const other of draft.all()) {
          if (other.state === "pending") draft.set(other, "skipped", { skippedBecause: node.id, reason: `the wave stopped after ${node.id} failed` });
        }
      } else {
        skipBelow(draft, node, `${node.id} failed`);
      }
      return;
    }
    case "cancelled":
      draft.set(node, "cancelled", outcome.reason === undefined ? {} : { reason: outcome.reason });
      if (!draft.cancelRequested) skipBelow(draft, node, `${node.id} was cancelled`);
      return;
  }
}

/** Applies build outcomes in order; idempotent. */
export function applyOutcomes(wave: Wave, outcomes: readonly NodeOutcome[]): Step {
  const draft = new Draft(wave);
  for (const outcome of outcomes) applyOne(draft, outcome);
  return draft.done();
}

export const applyOutcome = (wave: Wave, outcome: NodeOutcome): Step => applyOutcomes(wave, [outcome]);

/**
 * The nodes to enqueue now (they become `queued`), in plan order, without
 * going over maxInFlight. Nothing after a cancel or a `stop` failure.
 */
export function advance(wave: Wave): Step & { enqueue: WaveNode[] } {
  const draft = new Draft(wave);
  const enqueue: WaveNode[] = [];
  if (wave.cancelRequested || wave.stoppedBy !== undefined) return { ...draft.done(), enqueue };
  let busy = wave.nodes.reduce((n, node) => n + (inFlight(node.state) ? 1 : 0), 0);
  for (const node of wave.nodes) {
    if (busy >= wave.options.maxInFlight) break;
    if (node.state !== "pending") continue;
    if (!node.parents.every((p) => draft.get(p)?.state === "succeeded")) continue;
    draft.set(node, "queued");
    enqueue.push(draft.get(node.id)!);
    busy++;
  }
  return { ...draft.done(), enqueue };
}

/** Cancels the wave: pending nodes become cancelled; the answer lists the queued and running builds to cancel. */
export function cancelWave(wave: Wave): Step & { cancel: WaveNode[] } {
  const draft = new Draft(wave);
  draft.cancelRequested = true;
  for (const node of wave.nodes) if (node.state === "pending") draft.set(node, "cancelled", { reason: "the wave was cancelled" });
  return { ...draft.done(), cancel: wave.nodes.filter((n) => inFlight(n.state)) };
}

/** Why a superseded wave's nodes that had not started were cancelled. */
export const SUPERSEDED_REASON = "superseded by a newer base digest";

/**
 * Supersedes the wave (a newer digest of its base): nothing new starts,
 * pending nodes become cancelled, and the answer lists the queued builds to
 * cancel. Running builds finish (what they produce is recorded); the newer
 * wave re-plans every node against the new digest.
 */
export function supersedeWave(wave: Wave): Step & { cancel: WaveNode[] } {
  const draft = new Draft(wave);
  draft.cancelRequested = true;
  for (const node of wave.nodes) if (node.state === "pending") draft.set(node, "cancelled", { reason: SUPERSEDED_REASON });
  return { ...draft.done(), cancel: wave.nodes.filter((n) => n.state === "queued") };
}

/** Failed, skipped and cancelled nodes go back to pending for their next attempt; succeeded nodes and their digests stay. */
export function retryWave(wave: Wave): Step {
  const draft = new Draft(wave);
  draft.cancelRequested = false;
  draft.stoppedBy = undefined;
  for (const node of wave.nodes) {
    if (node.state === "failed" || node.state === "skipped" || node.state === "cancelled") draft.set(node, "pending", { attempt: node.attempt + 1 });
  }
  return draft.done();
}


export interface WaveStatus {
  state: WaveState;
  terminal: boolean;
  counts: Record<WaveNodeState, number>;
}

export function waveStatus(wave: Wave): WaveStatus {
  const counts = Object.fromEntries(WAVE_NODE_STATES.map((s) => [s, 0])) as Record<WaveNodeState, number>;
  for (const node of wave.nodes) counts[node.state]++;
  const terminal = counts.pending + counts.queued + counts.running === 0;
  const state: WaveState = !terminal
    ? "running"
    : wave.cancelRequested
      ? "cancelled"
      : counts.failed + counts.skipped + counts.cancelled > 0
        ? "failed"
        : "succeeded";
  return { state, terminal, counts };
}

/** The base → digest map a node's build is pinned to: its parents' new digests, and the trigger's. */
export function pinsFor(wave: Wave, node: PlanNode): Map<string, string> {
  const pins = new Map<string, string>();
  for (const base of node.bases) {
    if (base.pin !== "pinned") continue;
    const digest = base.parent === undefined ? base.digest : wave.nodes[wave.index[base.parent] ?? -1]?.digest;
    if (digest !== undefined) pins.set(base.reference, digest);
  }
  return pins;
}
