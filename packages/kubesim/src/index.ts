export const packageName = "@buildfleet/kubesim";

export { startKubeSim } from "./start.js";
export type { KubeSim, KubeSimControl, KubeSimOptions } from "./start.js";
export { kubeconfigYamlFor } from "./kubeconfig.js";
export type { FaultConfig, VerbFault, Verb } from "./server/faults.js";
export { createStore, createSimClock, StatusError, isStatusError } from "./store/index.js";
export type { SimStore, StoreOptions } from "./store/index.js";
export type * from "./store/types.js";
export { kanikoDigest } from "./kubelet/kaniko.js";
export { createBuildahExecutor, DEFAULT_MAX_PARALLEL_BUILDS } from "./executor/buildah/buildah-executor.js";
export type { BuildahExecutor, BuildahExecutorOptions } from "./executor/buildah/buildah-executor.js";
export { DEFAULT_ALIASES as DEFAULT_REGISTRY_ALIASES } from "./executor/buildah/registry-rewrite.js";
