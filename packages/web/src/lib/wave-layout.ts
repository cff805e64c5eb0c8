import type { WaveNodeState, WaveNodeView } from "../api/types";

/**
 * Where each node of a rebuild wave is drawn: one column per level, left to
 * right, nodes stacked in a column in the order the plan lists them, and one
 * edge per parent → child. Pure: the page renders what this returns as SVG.
 */

export const NODE_W = 180;
export const NODE_H = 44;
export const COL_GAP = 70;
export const ROW_GAP = 18;
const PAD = 8;

export interface PlacedNode {
  id: string;
  label: string;
  state: WaveNodeState;
  buildId: string | null;
  x: number;
  y: number;
}

export interface Edge {
  from: string;
  to: string;
  /** SVG path from the parent's right side to the child's left side. */
  d: string;
}

export interface WaveLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: Edge[];
}

/** The image name without its tenant ("team/app" → "app"), cut to fit a node. */
export function nodeLabel(id: string, max = 22): string {
  const name = id.slice(id.indexOf("/") + 1);
  return name.length > max ? `${name.slice(0, max - 1)}…` : name;
}

export function layoutWave(nodes: readonly Pick<WaveNodeView, "id" | "level" | "parents" | "state" | "buildId">[]): WaveLayout {
  const columns = new Map<number, typeof nodes[number][]>();
  for (const n of nodes) columns.set(n.level, [...(columns.get(n.level) ?? []), n]);
  const levels = [...columns.keys()].sort((a, b) => a - b);
  const placed = new Map<string, PlacedNode>();
  let rows = 0;
  levels.forEach((level, col) => {
    const column = columns.get(level) ?? [];
    rows = Math.max(rows, column.length);
    column.forEach((n, row) => {
      placed.set(n.id, { id: n.id, label: nodeLabel(n.id), state: n.state, buildId: n.buildId, x: PAD + col * (NODE_W + COL_GAP), y: PAD + row * (NODE_H + ROW_GAP) });
    });
  });
  const edges: Edge[] = [];
  for (const n of nodes) {
    const to = placed.get(n.id);
    for (const p of n.parents) {
      const from = placed.get(p);
      if (!from || !to) continue;
      const x1 = from.x + NODE_W;
      const y1 = from.y + NODE_H / 2;
      const x2 = to.x;
      const y2 = to.y + NODE_H / 2;
      const mid = (x1 + x2) / 2;
      edges.push({ from: p, to: n.id, d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` });
    }
  }
  return {
    width: PAD * 2 + Math.max(1, levels.length) * NODE_W + Math.max(0, levels.length - 1) * COL_GAP,
    height: PAD * 2 + Math.max(1, rows) * NODE_H + Math.max(0, rows - 1) * ROW_GAP,
    nodes: [...placed.values()],
    edges,
  };
}
