import { baseNames, childIds, directDependents, parentIds } from "../catalog/graph.js";
import type { CatalogGraph, GraphNode, ImageId } from "../catalog/graph.js";
import { tryNormaliseReference } from "../catalog/image-ref.js";

/**
 * Planning a rebuild wave: which catalog images to build again, in which
 * order (levels: every image after all of its parents in the wave), and
 * which of their bases each build will be pinned to. Pure: the dry run, the
 * coordinator and the CLI all call this on the same graph.
 */

/** Who asks: a tenant sees its own images, admin every tenant's, an automatic wave those that opted in. */
export type TenantScope = { kind: "tenant"; tenant: string } | { kind: "admin" } | { kind: "automatic" };

/**
 * `base`: an Image name (that image first, then everything below it; in an
 * automatic wave only what is below it, since it has just been built) or an
 * image reference (the images that build FROM it, and what is below them).
 * `digest`: the new digest of that base, when known, to pin the first level to.
 * `dependents`: only these image ids among the base's direct dependents (and
 * what is below them); with an Image as base, never that image itself, since
 * it has just been built (a schedule's cascade: the dependents not built from
 * `digest` yet, of every destination the image pushes).
 * `images`: just those images, in dependency order.
 */
export type WaveTrigger = { base: string; digest?: string; dependents?: readonly ImageId[] } | { images: readonly string[] };

import type { PinMode, PlanNode, PlannedBase } from "@buildfleet/contract";
// A plan crosses the HTTP API: its node shapes are the contract's.
export type { PinMode, PlanNode, PlannedBase };

export interface WavePlan {
  /** Ids per level, level 0 first, sorted within a level. */
  levels: ImageId[][];
  /** Every node, in level order. */
  nodes: PlanNode[];
  warnings: string[];
}

export type PlanProblem = "not-found" | "ambiguous" | "cycle";
export type PlanResult = { ok: true; plan: WavePlan } | { ok: false; problem: PlanProblem; message: string };

function visible(node: GraphNode, scope: TenantScope): boolean {
  switch (scope.kind) {
    case "tenant":
      return node.tenant === scope.tenant;
    case "admin":
      return true;
    case "automatic":
      return node.onBaseChange;
  }
}

/** An Image id for a name as the scope sees it; `tenant/name` picks one of several tenants. */
function findImage(graph: CatalogGraph, name: string, scope: TenantScope): { id?: ImageId; ambiguous?: ImageId[] } {
  if (scope.kind === "tenant") {
    const id = `${scope.tenant}/${name}`;
    return graph.nodes.has(id) ? { id } : {};
  }
  if (graph.nodes.has(name)) return { id: name };
  const matches = graph.ids.filter((id) => graph.nodes.get(id)!.name === name);
  if (matches.length === 1) return { id: matches[0]! };
  return matches.length > 1 ? { ambiguous: matches } : {};
}

const MAX_LISTED = 10;
const list = (ids: readonly string[]): string =>
  ids.length <= MAX_LISTED ? ids.join(", ") : `${ids.slice(0, MAX_LISTED).join(", ")} and ${ids.length - MAX_LISTED} more`;

export function planWave(graph: CatalogGraph, trigger: WaveTrigger, scope: TenantScope): PlanResult {
  const inScope = (id: ImageId) => visible(graph.nodes.get(id)!, scope);
  const warnings: string[] = [];
  let members: Set<ImageId>;
  // The trigger's own node or reference: bases naming it get the trigger's digest.
  let triggerNode: ImageId | undefined;
  let triggerReference: string | undefined;

  if ("images" in trigger) {
    members = new Set();
    for (const name of trigger.images) {
      const found = findImage(graph, name, scope.kind === "automatic" ? { kind: "admin" } : scope);
      if (found.ambiguous) return { ok: false, problem: "ambiguous", message: `image ${name} exists in several tenants (${list(found.ambiguous)}); name it as tenant/name` };
      if (found.id === undefined) return { ok: false, problem: "not-found", message: `no image ${name} in the catalog` };
      members.add(found.id);
    }
  } else {
    const found = findImage(graph, trigger.base, scope.kind === "automatic" ? { kind: "admin" } : scope);
    if (found.ambiguous) return { ok: false, problem: "ambiguous", message: `image ${trigger.base} exists in several tenants (${list(found.ambiguous)}); name it as tenant/name` };
    let roots: ImageId[];
    const only = trigger.dependents === undefined ? undefined : new Set(trigger.dependents);
    const chosen = (id: ImageId) => inScope(id) && (only === undefined || only.has(id));
    if (found.id !== undefined) {
      // An automatic wave or a cascade follows a build of this image: never rebuild it over itself.
      const below = scope.kind === "automatic" || only !== undefined;
      roots = below ? childIds(graph, found.id).filter(chosen) : [found.id];
      if (below) triggerNode = found.id;
    } else {
      const ref = tryNormaliseReference(trigger.base);
      if (!ref.ok) {
        return { ok: true, plan: { levels: [], nodes: [], warnings: [`"${trigger.base}" is neither an image in the catalog nor a valid image reference (${ref.problem}): nothing to rebuild`] } };
      }
      triggerReference = ref.value.canonical;
      roots = directDependents(graph, trigger.base).filter(chosen);
      if (roots.length === 0) {
        return { ok: true, plan: { levels: [], nodes: [], warnings: [`no catalog image${scope.kind === "tenant" ? ` of tenant ${scope.tenant}` : ""} builds FROM ${ref.value.canonical}: nothing to rebuild`] } };
      }
    }
    members = closure(graph, roots, inScope);
    const unresolved = graph.ids.filter((id) => !members.has(id) && inScope(id) && graph.nodes.get(id)!.resolution.state === "unresolved");
    if (unresolved.length > 0) {
      warnings.push(`${unresolved.length} image(s) with unresolved bases could also build FROM this base and are not in the wave: ${list(unresolved)}`);
    }
  }

  const layered = levels(graph, members);
  if (!layered.ok) return layered;
  const nodes: PlanNode[] = [];
  for (const [level, ids] of layered.levels.entries()) {
    for (const id of ids) nodes.push(planNode(graph, id, level, members, { node: triggerNode, reference: triggerReference, digest: "base" in trigger ? trigger.digest : undefined }));
  }
  return { ok: true, plan: { levels: layered.levels, nodes, warnings } };
}

/** The roots and everything below them reachable through images in scope (an image outside it is not rebuilt, so nothing below it changes). */
function closure(graph: CatalogGraph, roots: readonly ImageId[], inScope: (id: ImageId) => boolean): Set<ImageId> {
  const members = new Set<ImageId>(roots);
  const queue = [...roots];
  for (let i = 0; i < queue.length; i++) {
    for (const child of childIds(graph, queue[i]!)) {
      if (members.has(child) || !inScope(child)) continue;
      members.add(child);
      queue.push(child);
    }
  }
  return members;
}

/** Longest-path layering (Kahn): a node's level is one more than its deepest parent in the wave. */
function levels(graph: CatalogGraph, members: ReadonlySet<ImageId>): { ok: true; levels: ImageId[][] } | { ok: false; problem: "cycle"; message: string } {
  const waiting = new Map<ImageId, number>();
  const level = new Map<ImageId, number>();
  let current: ImageId[] = [];
  for (const id of members) {
    const n = parentIds(graph, id).filter((p) => members.has(p)).length;
    waiting.set(id, n);
    if (n === 0) current.push(id);
  }
  const out: ImageId[][] = [];
  let placed = 0;
  while (current.length > 0) {
    current.sort();
    out.push(current);
    placed += current.length;
    const next: ImageId[] = [];
    for (const id of current) {
      level.set(id, out.length - 1);
      for (const child of childIds(graph, id)) {
        if (!members.has(child)) continue;
        const left = waiting.get(child)! - 1;
        waiting.set(child, left);
        if (left === 0) next.push(child);
      }
    }
    current = next;
  }
  if (placed < members.size) {
    const stuck = [...members].filter((id) => !level.has(id)).sort();
    return { ok: false, problem: "cycle", message: `the catalog has a cycle through ${list(stuck)}; it cannot be planned` };
  }
  return { ok: true, levels: out };
}

function planNode(
  graph: CatalogGraph,
  id: ImageId,
  level: number,
  members: ReadonlySet<ImageId>,
  trigger: { node: ImageId | undefined; reference: string | undefined; digest: string | undefined },
): PlanNode {
  const node = graph.nodes.get(id)!;
  const warnings: string[] = [];
  const bases: PlannedBase[] = [];
  const parentEdges = graph.parents.get(id) ?? [];
  if (node.resolution.state === "unresolved") {
    warnings.push(`its bases are unresolved (${node.resolution.reason}); it is built as it is, pinned to nothing`);
  } else {
    for (const base of node.resolution.bases) {
      const parent = parentEdges.find((e) => e.reference === base.reference && e.source === base.source && members.has(e.from))?.from;
      const fromTrigger =
        parent === undefined &&
        ((trigger.reference !== undefined && baseNames(base.reference, trigger.reference)) || (trigger.node !== undefined && parentEdges.some((e) => e.from === trigger.node && e.reference === base.reference)));
      if (parent === undefined && !fromTrigger) {
        bases.push({ reference: base.reference, source: base.source, pin: "unchanged" });
        continue;
      }
      const rewritable = base.source.kind !== "declared";
      const digest = fromTrigger ? trigger.digest : undefined;
      const pin: PinMode = rewritable && (parent !== undefined || digest !== undefined) ? "pinned" : "unpinned";
      const planned: PlannedBase = { reference: base.reference, source: base.source, pin };
      if (parent !== undefined) planned.parent = parent;
      if (digest !== undefined) planned.digest = digest;
      bases.push(planned);
      if (pin === "unpinned") {
        warnings.push(
          rewritable
            ? `${base.reference} is built from its tag, unpinned: the wave was started without its digest`
            : `${base.reference} is built from its tag, unpinned: its Dockerfile is in the ${node.entry.image.spec.build.context.type} context, which buildfleet cannot rewrite`,
        );
      }
    }
  }
  return { id, image: node.name, tenant: node.tenant, level, parents: parentIds(graph, id).filter((p) => members.has(p)), bases, warnings };
}
