import type { WavePlan } from "./plan.js";

/**
 * The dry run for a terminal: one block per level, each node with its tenant,
 * the bases it will be pinned to and its warnings.
 *
 *   level 0
 *   └── team/debian
 *   level 1
 *   ├── team/python  ← registry.internal:5000/team/debian:v1 (pinned to team/debian)
 *   └── team/node    ← …
 */
export function formatPlanTree(plan: WavePlan): string {
  const out: string[] = [];
  plan.levels.forEach((ids, level) => {
    out.push(`level ${level}`);
    ids.forEach((id, i) => {
      const last = i === ids.length - 1;
      const node = plan.nodes.find((n) => n.id === id);
      if (node === undefined) return;
      out.push(`${last ? "└── " : "├── "}${id}`);
      const more = last ? "    " : "│   ";
      for (const base of node.bases) {
        if (base.pin === "unchanged") continue;
        const to = base.parent !== undefined ? `new ${base.parent}` : (base.digest ?? "its tag");
        out.push(`${more}  ← ${base.reference} (${base.pin === "pinned" ? `pinned to ${to}` : "unpinned: built from its tag"})`);
      }
      for (const warning of node.warnings) out.push(`${more}  ! ${warning}`);
    });
  });
  for (const warning of plan.warnings) out.push(`! ${warning}`);
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}
