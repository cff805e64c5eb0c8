import { childIds } from "../catalog/graph.js";
import type { CatalogGraph, GraphNode, ImageId } from "../catalog/graph.js";

/**
 * Which direct dependents of `base` a new `digest` of it concerns: those
 * whose last recorded build (`builtFrom`: canonical base reference → the
 * digest it was pinned to) did not use exactly this digest for some base
 * naming `base`, including those never built. A dependent already built from
 * this digest is not rebuilt, so a first build of a base whose dependents are
 * current starts nothing. Pure: automatic waves and schedule cascades decide
 * with it, each with its own `include` (opted-in images, a tenant's images).
 */
export function staleDependents(
  graph: CatalogGraph,
  base: ImageId,
  digest: string,
  builtFrom: (id: ImageId) => Readonly<Record<string, string>> | undefined,
  include: (node: GraphNode) => boolean = () => true,
): ImageId[] {
  return childIds(graph, base).filter((id) => {
    const node = graph.nodes.get(id)!;
    if (!include(node)) return false;
    const built = builtFrom(id) ?? {};
    return (graph.parents.get(id) ?? []).some((e) => e.from === base && built[e.reference] !== digest);
  });
}
