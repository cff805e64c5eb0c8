export const packageName = "@buildfleet/kubesim";

export { startKubeSim } from "./start.js";
export type { KubeSim, KubeSimControl, KubeSimOptions } from "./start.js";
export { kubeconfigYamlFor } from "./kubeconfig.js";
export type { FaultConfig, VerbFault, Verb } from "./server/faults.js";
export { createStore, createSimClock, StatusError, isStatusError } from "./store/index.js";
export type { SimStore, StoreOptions } from "./store/index.js";
export type * from "./store/types.js";
export { kanikoDigest } from "./kubelet/kaniko.js";
