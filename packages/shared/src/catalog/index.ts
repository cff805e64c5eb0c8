// The image catalog: Image documents, the bases of each image, the FROM graph. Pure: no IO.
export { tryNormaliseReference, pinnedReference, splitCanonical, digestKey } from "./image-ref.js";
export type { NormalisedReference, NormaliseResult } from "./image-ref.js";
export { dockerfileBases } from "./dockerfile-bases.js";
export type { DockerfileBase, DockerfileBasesResult } from "./dockerfile-bases.js";
export { resolveBases, describeSource } from "./bases.js";
export type { BaseResolution, ResolvedBase, DockerfileLocation } from "./bases.js";
export {
  imageId,
  prepareEntry,
  buildGraph,
  graphNode,
  producerIndex,
  parentIds,
  childIds,
  findCycle,
  formatCycle,
  dependents,
  directDependents,
  baseNames,
  checkApply,
} from "./graph.js";
export type { Catalog, CatalogEntry, CatalogGraph, GraphNode, GraphEdge, ApplyCheck } from "./graph.js";
export { toDot, toTree } from "./graph-format.js";
export type { TreeOptions } from "./graph-format.js";
