export { startRegistry, waitForRegistry, htpasswd, registryConfigYaml, NoRegistryError, DEFAULT_REGISTRY_BIN } from "./registry-server.js";
export type { TestRegistry, RegistrySource, RegistryUser, StartRegistryOptions } from "./registry-server.js";
export { seedBusybox, busyboxVersion, BUSYBOX_REPOSITORY } from "./seed-busybox.js";
export type { SeedBusyboxOptions, SeededImage } from "./seed-busybox.js";
export { manifestDigest, readManifest, readImageConfig, MANIFEST_ACCEPT } from "./registry-client.js";
export type { ImageManifest, RegistryAuth } from "./registry-client.js";
export { missingBuildTools, realBuildsSkipReason } from "./tools.js";
export { pushVariant } from "./push-variant.js";
