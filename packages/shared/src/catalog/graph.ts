import { resolveBases } from "./bases.js";
import type { BaseResolution, BaseSource } from "./bases.js";
import type { Image } from "./image.js";
import { digestKey, splitCanonical, tryNormaliseReference } from "./image-ref.js";

/**
 * The catalog's FROM graph. Image D depends on image B when a base of D names
 * one of B's destination repositories with a tag B pushes, or with a digest B
 * produced (digests are passed in: the catalog does not know builds). Images
 * are owned by tenants and named within their tenant, so a node's id is
 * `tenant/name`; references cross tenants freely (they are registry names).
 */

export type ImageId = string;
export const imageId = (tenant: string, name: string): ImageId => `${tenant}/${name}`;

export interface CatalogEntry {
  tenant: string;
  image: Image;
  /** Stored at apply time (see prepareEntry); computed here when absent. */
  resolution?: BaseResolution;
  /** Canonical destinations, stored at apply time; computed here when absent. */
  destinations?: readonly string[];
}

export interface Catalog {
  entries: readonly CatalogEntry[];
  /** Digests each image's builds produced, by image id. */
  digests?: ReadonlyMap<ImageId, readonly string[]>;
}

export interface GraphNode {
  id: ImageId;
  tenant: string;
  name: string;
  entry: CatalogEntry;
  resolution: BaseResolution;
  /** Canonical destination references, `name:tag`. */
  destinations: readonly string[];
  onBaseChange: boolean;
}

export interface GraphEdge {
  /** The base image (the parent). */
  from: ImageId;
  /** The image built FROM it. */
  to: ImageId;
  /** The child's base reference that names the parent (canonical). */
  reference: string;
  source: BaseSource;
}

export interface CatalogGraph {
  nodes: ReadonlyMap<ImageId, GraphNode>;
  /** Node ids, sorted: every walk over the graph is deterministic. */
  ids: readonly ImageId[];
  edges: readonly GraphEdge[];
  children: ReadonlyMap<ImageId, readonly GraphEdge[]>;
  parents: ReadonlyMap<ImageId, readonly GraphEdge[]>;
  /** Distinct child and parent ids of each node, sorted. */
  childIds: ReadonlyMap<ImageId, readonly ImageId[]>;
  parentIds: ReadonlyMap<ImageId, readonly ImageId[]>;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/**
 * The images that produce a canonical reference: by tag, or by a digest they
 * produced. Works on canonical strings, never re-parsing: it runs for every
 * base of every image.
 */
export function producerIndex(nodes: Iterable<GraphNode>, digests: Catalog["digests"]): (reference: string) => readonly ImageId[] {
  const byTag = new Map<string, ImageId[]>();
  const byDigest = new Map<string, ImageId[]>();
  for (const node of nodes) {
    const names = new Set<string>();
    for (const destination of node.destinations) {
      push(byTag, destination, node.id);
      names.add(splitCanonical(destination).name);
    }
    for (const digest of digests?.get(node.id) ?? []) for (const name of names) push(byDigest, digestKey(name, digest), node.id);
  }
  const none: readonly ImageId[] = [];
  return (reference) => {
    const { name, tag, digest } = splitCanonical(reference);
    const viaTag = tag === undefined ? none : (byTag.get(`${name}:${tag}`) ?? none);
    const viaDigest = digest === undefined ? none : (byDigest.get(digestKey(name, digest)) ?? none);
    if (viaDigest.length === 0) return viaTag;
    return [...new Set([...viaDigest, ...viaTag])].sort();
  };
}

/** What an Image contributes to the graph, computed once when it is applied and stored with it. */
export function prepareEntry(tenant: string, image: Image): CatalogEntry {
  return { tenant, image, resolution: resolveBases(image), destinations: canonicalDestinations(image) };
}

function canonicalDestinations(image: Image): string[] {
  return image.spec.build.destinations.flatMap((d) => {
    const ref = tryNormaliseReference(d);
    return ref.ok ? [ref.value.canonical] : [];
  });
}

export function graphNode(entry: CatalogEntry): GraphNode {
  const { tenant, image } = entry;
  return {
    id: imageId(tenant, image.metadata.name),
    tenant,
    name: image.metadata.name,
    entry,
    resolution: entry.resolution ?? resolveBases(image),
    destinations: entry.destinations ?? canonicalDestinations(image),
    onBaseChange: image.spec.rebuild?.onBaseChange ?? false,
  };
}

export function buildGraph(catalog: Catalog): CatalogGraph {
  const nodes = new Map<ImageId, GraphNode>();
  for (const entry of catalog.entries) {
    const node = graphNode(entry);
    nodes.set(node.id, node);
  }
  const ids = [...nodes.keys()].sort();
  const producers = producerIndex(nodes.values(), catalog.digests);
  const edges: GraphEdge[] = [];
  const children = new Map<ImageId, GraphEdge[]>();
  const parents = new Map<ImageId, GraphEdge[]>();
  for (const id of ids) {
    const node = nodes.get(id)!;
    if (node.resolution.state !== "resolved") continue;
    for (const base of node.resolution.bases) {
      for (const from of producers(base.reference)) {
        const edge: GraphEdge = { from, to: id, reference: base.reference, source: base.source };
        edges.push(edge);
        push(children, from, edge);
        push(parents, id, edge);
      }
    }
  }
  const distinct = (list: readonly GraphEdge[], pick: (e: GraphEdge) => ImageId) => [...new Set(list.map(pick))].sort();
  const childIds = new Map([...children].map(([id, list]) => [id, distinct(list, (e) => e.to)]));
  const parentIds = new Map([...parents].map(([id, list]) => [id, distinct(list, (e) => e.from)]));
  return { nodes, ids, edges, children, parents, childIds, parentIds };
}

const NONE: readonly ImageId[] = [];
/** Distinct parent (or child) ids of a node, sorted. */
export const parentIds = (graph: CatalogGraph, id: ImageId): readonly ImageId[] => graph.parentIds.get(id) ?? NONE;
export const childIds = (graph: CatalogGraph, id: ImageId): readonly ImageId[] => graph.childIds.get(id) ?? NONE;

/**
 * A cycle through `start` (or anywhere when no start is given), as the ids
 * along it with the first repeated at the end: `[a, b, a]`. A self-reference
 * is the cycle `[a, a]`. Iterative, so a deep catalog cannot overflow the stack.
 */
export function findCycle(graph: CatalogGraph, start?: ImageId): ImageId[] | undefined {
  const state = new Map<ImageId, 1 | 2>(); // 1 on the current path, 2 done
  const roots = start === undefined ? graph.ids : [start];
  for (const root of roots) {
    if (state.has(root) || !graph.nodes.has(root)) continue;
    const path: ImageId[] = [root];
    const pending: ImageId[][] = [[...childIds(graph, root)]];
    state.set(root, 1);
    while (path.length > 0) {
      const next = pending.at(-1)!.shift();
      if (next === undefined) {
        state.set(path.pop()!, 2);
        pending.pop();
        continue;
      }
      const seen = state.get(next);
      if (seen === 1) return [...path.slice(path.indexOf(next)), next];
      if (seen === 2) continue;
      state.set(next, 1);
      path.push(next);
      pending.push([...childIds(graph, next)]);
    }
  }
  return undefined;
}

/** `a → b → a`: names alone when the cycle stays in one tenant, `tenant/name` when it crosses tenants. */
export function formatCycle(graph: CatalogGraph, cycle: readonly ImageId[]): string {
  const tenants = new Set(cycle.map((id) => graph.nodes.get(id)?.tenant));
  return cycle.map((id) => (tenants.size === 1 ? (graph.nodes.get(id)?.name ?? id) : id)).join(" → ");
}

/**
 * The images below a base, transitively (not including a start image itself),
 * in breadth-first order. The start is an image id, or a reference: then the
 * catalog images that build FROM it, and everything below them.
 */
export function dependents(graph: CatalogGraph, start: { id: ImageId } | { reference: string }): ImageId[] {
  const seen = new Set<ImageId>();
  const queue: ImageId[] = [];
  const visit = (id: ImageId) => {
    if (seen.has(id)) return;
    seen.add(id);
    queue.push(id);
  };
  if ("id" in start) {
    seen.add(start.id);
    for (const child of childIds(graph, start.id)) visit(child);
  } else {
    for (const id of directDependents(graph, start.reference)) visit(id);
  }
  for (let i = 0; i < queue.length; i++) for (const child of childIds(graph, queue[i]!)) visit(child);
  return "id" in start ? queue.filter((id) => id !== start.id) : queue;
}

/** The catalog images with a base naming `reference` (tag or digest equal, after normalising). */
export function directDependents(graph: CatalogGraph, reference: string): ImageId[] {
  const ref = tryNormaliseReference(reference);
  if (!ref.ok) return [];
  const out: ImageId[] = [];
  for (const id of graph.ids) {
    const node = graph.nodes.get(id)!;
    if (node.resolution.state !== "resolved") continue;
    if (node.resolution.bases.some((b) => baseNames(b.reference, ref.value.canonical))) out.push(id);
  }
  return out;
}

/**
 * Whether a base (canonical) names the target (canonical): the same
 * repository with the same digest, or with the same tag. `debian:12@sha256:…`
 * names `debian:12`, as a registry push of that tag is what it was pinned from.
 */
export function baseNames(base: string, target: string): boolean {
  const b = splitCanonical(base);
  const t = splitCanonical(target);
  if (b.name !== t.name) return false;
  if (t.digest !== undefined && b.digest === t.digest) return true;
  return t.tag !== undefined && b.tag === t.tag;
}

export type ApplyCheck =
  | { ok: true }
  | { ok: false; problem: "cycle"; cycle: ImageId[]; message: string }
  | { ok: false; problem: "destination-taken"; destination: string; owner: ImageId; message: string };

/**
 * Whether applying `entry` (new, or replacing the image of the same id) keeps
 * the catalog a DAG and every pushed tag owned by one image. A refusal says
 * why in words, naming the cycle (`a → b → a`) for the API's 422.
 */
export function checkApply(catalog: Catalog, entry: CatalogEntry): ApplyCheck {
  const id = imageId(entry.tenant, entry.image.metadata.name);
  const others = catalog.entries.filter((e) => imageId(e.tenant, e.image.metadata.name) !== id);
  const candidate = graphNode(entry);
  const owners = producerIndex(others.map(graphNode), undefined);
  for (const destination of candidate.destinations) {
    const owner = owners(destination)[0];
    if (owner !== undefined) {
      return {
        ok: false,
        problem: "destination-taken",
        destination,
        owner,
        message: `${destination} is already pushed by image ${owner}; two images pushing one tag would make the graph ambiguous`,
      };
    }
  }
  const graph = buildGraph({ ...catalog, entries: [...others, { ...entry, resolution: candidate.resolution, destinations: candidate.destinations }] });
  const cycle = findCycle(graph, id);
  if (cycle === undefined) return { ok: true };
  const shown = formatCycle(graph, cycle);
  const message =
    cycle.length === 2
      ? `image ${candidate.name} would build FROM its own output (${shown}): a self-reference is a cycle`
      : `applying image ${candidate.name} would close a cycle: ${shown}`;
  return { ok: false, problem: "cycle", cycle, message };
}
