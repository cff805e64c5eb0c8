// The image catalog's Redis adapter (issue 13).
export { CatalogStore, StoredImage, ImageBuildStatus, toEntry } from "./catalog-store.js";
export type { ApplyOutcome } from "./catalog-store.js";
