// Public surface of the worker package: run it in-process (WorkerService) or
// use its pure parts (Job rendering, status derivation, planning) elsewhere.
export { WorkerService, DEFAULT_BUILD_RESOURCES } from "./service.js";
export type { WorkerServiceOptions } from "./service.js";
export { loadKubeConfig } from "./k8s/kubeconfig.js";
// The Kubernetes adapter: the deployment tests derive the worker's RBAC Role from its operations.
export { createK8sApi } from "./k8s/client.js";
export type { K8sApi, K8sApiOptions } from "./k8s/client.js";
export { renderBuildJob } from "./kaniko/render-job.js";
export type { RenderOptions, RenderedBuild } from "./kaniko/render-job.js";
export { jobNameForBuild } from "./kaniko/job-name.js";
export { deriveBuildStatus } from "./tracking/derive-status.js";
export type { BuildObservation, AttemptObservation, BuildPhase } from "./tracking/derive-status.js";
export { planTransitions } from "./builds/plan.js";
export type { BuildResult } from "./builds/run-build.js";
// Its metric names: deploy/monitoring's dashboard and rules are tested against them.
export { createWorkerMetrics } from "./metrics/worker-metrics.js";
export type { WorkerMetrics } from "./metrics/worker-metrics.js";
