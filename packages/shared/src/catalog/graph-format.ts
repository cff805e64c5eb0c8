import { childIds, parentIds } from "./graph.js";
import type { CatalogGraph, ImageId } from "./graph.js";

/** The catalog graph for people: Graphviz DOT for `?format=dot`, an indented tree for the CLI. */

const dotEscape = (s: string): string => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
const dotString = (s: string): string => `"${dotEscape(s)}"`;

/** Edges point from a base to the image built FROM it. Nodes with unresolved bases are dashed. */
export function toDot(graph: CatalogGraph): string {
  const lines = ["digraph catalog {", "  rankdir=TB;", "  node [shape=box];"];
  for (const id of graph.ids) {
    const node = graph.nodes.get(id)!;
    const style = node.resolution.state === "unresolved" ? ", style=dashed" : "";
    lines.push(`  ${dotString(id)} [label="${dotEscape(node.name)}\\n${dotEscape(node.tenant)}"${style}];`);
  }
  const seen = new Set<string>();
  for (const edge of graph.edges) {
    const key = `${edge.from}\u0000${edge.to}`;
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(`  ${dotString(edge.from)} -> ${dotString(edge.to)};`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

export interface TreeOptions {
  /** How a node is shown; its id by default. */
  label?: (id: ImageId) => string;
}

/**
 * Roots (images with no catalog parent) with their dependents below. An image
 * with several parents appears under each; below the first it is expanded,
 * later it is marked `(see above)`, so the output stays linear in the graph.
 */
export function toTree(graph: CatalogGraph, options: TreeOptions = {}): string {
  const label = options.label ?? ((id: ImageId) => id);
  const out: string[] = [];
  const expanded = new Set<ImageId>();
  const walk = (id: ImageId, prefix: string, last: boolean, depth: number) => {
    const branch = depth === 0 ? "" : last ? "└── " : "├── ";
    const again = expanded.has(id);
    out.push(`${prefix}${branch}${label(id)}${again ? " (see above)" : ""}`);
    if (again) return;
    expanded.add(id);
    const children = childIds(graph, id);
    const inner = depth === 0 ? "" : `${prefix}${last ? "    " : "│   "}`;
    children.forEach((child, i) => walk(child, inner, i === children.length - 1, depth + 1));
  };
  for (const id of graph.ids) if (parentIds(graph, id).length === 0) walk(id, "", true, 0);
  // Images only reachable through a cycle have no root; the catalog refuses cycles, but never hide a node.
  for (const id of graph.ids) if (!expanded.has(id)) walk(id, "", true, 0);
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}
