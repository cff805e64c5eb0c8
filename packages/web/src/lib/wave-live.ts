import type { WaveNodeState, WaveNodeView, WaveView } from "../api/types";

/**
 * A wave view kept live from its events, pure: the view loaded once, then the
 * rebuild.* events of GET /v1/events?waveId=…&builds=true (and its builds'
 * build.* events, which alone announce a node's `running`). The stream
 * replays the wave from its first event: rebuild events a view already
 * includes (sequence ≤ its eventSeq) are skipped, and no node moves back.
 */

export interface LiveEvent {
  type: string;
  /** rebuild.*: the wave's event number; absent on build events. */
  sequence?: number;
  time?: string;
  data: Record<string, unknown>;
}

export interface Folded {
  wave: WaveView;
  /** The events do not tell everything (an unknown node, a retry, counts that do not add up): read the wave again. */
  refetch: boolean;
}

const STATES: readonly WaveNodeState[] = ["pending", "queued", "running", "succeeded", "failed", "skipped", "cancelled"];
/** Within one attempt a node only moves forward. */
const RANK: Record<WaveNodeState, number> = { pending: 0, queued: 1, running: 2, succeeded: 3, failed: 3, skipped: 3, cancelled: 3 };
const TERMINAL_WAVE = new Set(["rebuild.succeeded", "rebuild.failed", "rebuild.cancelled"]);

export const isWaveTerminal = (wave: Pick<WaveView, "state">): boolean => wave.state !== "running";

function tally(nodes: readonly WaveNodeView[]): Record<WaveNodeState, number> {
  const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<WaveNodeState, number>;
  for (const n of nodes) counts[n.state]++;
  return counts;
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/** The node after a rebuild.node.* event, or undefined when it does not apply (older attempt, or backwards). */
function nodeAfter(node: WaveNodeView, type: string, data: Record<string, unknown>): WaveNodeView | undefined {
  const attempt = num(data.attempt) ?? node.attempt;
  if (attempt < node.attempt) return undefined;
  const to: WaveNodeState | undefined =
    type === "rebuild.node.queued" ? "queued" : type === "rebuild.node.succeeded" ? "succeeded" : type === "rebuild.node.failed" ? "failed" : type === "rebuild.node.skipped" ? "skipped" : undefined;
  if (to === undefined) return undefined;
  if (attempt === node.attempt && RANK[to] <= RANK[node.state]) return undefined;
  const next: WaveNodeView = { ...node, state: to, attempt };
  const buildId = str(data.buildId);
  if (buildId !== undefined) next.buildId = buildId;
  const digest = str(data.digest);
  if (digest !== undefined) next.digest = digest;
  const reason = str(data.reason);
  if (reason !== undefined) next.reason = reason;
  const skippedBecause = str(data.skippedBecause);
  if (skippedBecause !== undefined) next.skippedBecause = skippedBecause;
  return next;
}

const replaceAt = <T>(items: readonly T[], i: number, item: T): T[] => items.map((x, j) => (j === i ? item : x));

function applyOne(wave: WaveView, e: LiveEvent): Folded {
  if (e.type.startsWith("build.")) {
    // Only its start matters here: the wave records the outcome itself (rebuild.node.*).
    if (e.type !== "build.started" && e.type !== "build.running") return { wave, refetch: false };
    const buildId = str(e.data.buildId);
    const i = wave.nodes.findIndex((n) => n.buildId !== null && n.buildId === buildId);
    const node = wave.nodes[i];
    if (node?.state !== "queued") return { wave, refetch: false };
    const nodes = replaceAt<WaveNodeView>(wave.nodes, i, { ...node, state: "running" });
    return { wave: { ...wave, nodes, counts: tally(nodes) }, refetch: false };
  }
  if ((e.sequence ?? 0) <= (wave.eventSeq ?? 0)) return { wave, refetch: false };
  const seen = { ...wave, eventSeq: e.sequence ?? wave.eventSeq };
  if (e.type === "rebuild.started") return { wave: seen, refetch: e.data.retry === true };
  if (e.type.startsWith("rebuild.node.")) {
    const i = seen.nodes.findIndex((n) => n.id === e.data.node);
    const node = seen.nodes[i];
    if (node === undefined) return { wave: seen, refetch: true };
    const next = nodeAfter(node, e.type, e.data);
    if (next === undefined) return { wave: seen, refetch: false };
    const nodes = replaceAt(seen.nodes, i, next);
    return { wave: { ...seen, nodes, counts: tally(nodes) }, refetch: false };
  }
  if (TERMINAL_WAVE.has(e.type)) {
    const state = e.type.slice("rebuild.".length) as WaveView["state"];
    const counts = (e.data.counts ?? {}) as Record<string, number>;
    // Cancelled nodes are announced by rebuild.cancelled only: when the counts differ, the wave itself says which.
    const differs = STATES.some((s) => (counts[s] ?? 0) !== seen.counts[s]);
    return { wave: { ...seen, state, finishedAt: e.time ?? seen.finishedAt }, refetch: differs };
  }
  return { wave: seen, refetch: false };
}

/** Applies `events` in order to `wave`. */
export function foldWave(wave: WaveView, events: readonly LiveEvent[]): Folded {
  let out: Folded = { wave, refetch: false };
  for (const e of events) {
    const step = applyOne(out.wave, e);
    out = { wave: step.wave, refetch: out.refetch || step.refetch };
  }
  return out;
}
