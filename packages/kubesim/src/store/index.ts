export { createStore, DEFAULT_NAMESPACES } from "./store.js";
export type { SimStore, StoreOptions, Page, PageOptions } from "./store.js";
export { createSimClock } from "./clock.js";
export * from "./errors.js";
export { RESOURCES, RESOURCE_NAMES, isResourceName } from "./resources.js";
export type { ResourceInfo } from "./resources.js";
export { compileFilter, parseLabelSelector, parseFieldSelector, matchesLabels } from "./selectors.js";
export type * from "./types.js";
