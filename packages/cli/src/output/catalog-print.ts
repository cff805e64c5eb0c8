import type { ImageGraph, ImageView, RebuildPlan, WaveView } from "@buildfleet/sdk";
import { formatAge, renderTable } from "./table.js";

/** Rendering of Images, the FROM graph and rebuild waves for the terminal. */

export function imagesTable(images: readonly ImageView[], now = Date.now()): string {
  return renderTable(
    ["NAME", "TENANT", "BASES", "DEPENDENTS", "LAST DIGEST", "AGE"],
    images.map((i) => [
      i.metadata.name,
      i.status.tenant,
      i.status.bases.state === "resolved" ? String(i.status.bases.bases.length) : "unresolved",
      i.status.dependents === undefined ? "" : String(i.status.dependents.length),
      (i.status.lastDigest ?? "").slice(0, 19),
      formatAge(i.status.createdAt, now),
    ]),
  );
}

/**
 * Roots (no parent in the graph) with their dependents below; an image with
 * several parents is expanded under the first and marked `(see above)` later.
 */
export function graphTree(graph: ImageGraph): string {
  const children = new Map<string, string[]>();
  const hasParent = new Set<string>();
  for (const e of graph.edges) {
    const list = children.get(e.from) ?? [];
    if (!list.includes(e.to)) list.push(e.to);
    children.set(e.from, list);
    hasParent.add(e.to);
  }
  for (const list of children.values()) list.sort();
  const out: string[] = [];
  const expanded = new Set<string>();
  const walk = (id: string, prefix: string, last: boolean, depth: number): void => {
    const again = expanded.has(id);
    out.push(`${prefix}${depth === 0 ? "" : last ? "└── " : "├── "}${id}${again ? " (see above)" : ""}`);
    if (again) return;
    expanded.add(id);
    const inner = depth === 0 ? "" : `${prefix}${last ? "    " : "│   "}`;
    const list = children.get(id) ?? [];
    list.forEach((c, i) => walk(c, inner, i === list.length - 1, depth + 1));
  };
  const ids = graph.nodes.map((n) => n.id).sort();
  for (const id of ids) if (!hasParent.has(id)) walk(id, "", true, 0);
  for (const id of ids) if (!expanded.has(id)) walk(id, "", true, 0);
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

export function planText(plan: RebuildPlan): string {
  if (plan.nodes.length === 0) return `nothing to rebuild\n${plan.warnings.map((w) => `! ${w}\n`).join("")}`;
  return plan.tree;
}

export function wavesTable(waves: readonly WaveView[], now = Date.now()): string {
  return renderTable(
    ["ID", "STATE", "TRIGGER", "NODES", "SUCCEEDED", "FAILED", "SKIPPED", "AGE"],
    waves.map((w) => [
      w.id,
      w.state,
      "base" in w.trigger ? w.trigger.base : w.trigger.images.join(","),
      String(w.nodes.length),
      String(w.counts.succeeded),
      String(w.counts.failed),
      String(w.counts.skipped + w.counts.cancelled),
      formatAge(w.createdAt, now),
    ]),
  );
}

export function waveNodesTable(wave: WaveView): string {
  return renderTable(
    ["LEVEL", "IMAGE", "STATE", "ATTEMPT", "BUILD", "DIGEST", "REASON"],
    wave.nodes.map((n) => [String(n.level), n.id, n.state, String(n.attempt), n.buildId ?? "", (n.digest ?? "").slice(0, 19), n.reason ?? ""]),
  );
}
