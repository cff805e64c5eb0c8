// startKubeSim: store + control plane + API server on 127.0.0.1, and the
// handle tests use to inject faults, script the kubelet and restart.
import type { AddressInfo } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";
import { createControlPlane } from "./controller/index.js";
import { createBuildahExecutor, type BuildahExecutorOptions } from "./executor/buildah/buildah-executor.js";
import { kubeConfigFor, kubeconfigYamlFor } from "./kubeconfig.js";
import { FaultInjector, type FaultConfig } from "./server/faults.js";
import { createApiServer } from "./server/server.js";
import { createStore, DEFAULT_NAMESPACES, type SimStore } from "./store/store.js";
import type { ControlPlane, ControlPlaneOptions, Store } from "./store/types.js";

export interface KubeSimOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Simulated-time speed factor (default 1). */
  speed?: number;
  /** Model Kubernetes ≤ 1.30 Job conditions (no SuccessCriteriaMet/FailureTarget). */
  legacyJobConditions?: boolean;
  defaultRunMs?: number;
  startDelayMs?: number;
  /** Scenario rules for the kubelet stand-in (as in a scenario file). */
  scenario?: unknown;
  /** Store events kept for watch resumption (default 10_000). */
  historySize?: number;
  /** Interval of BOOKMARK events on watches that allow them (default 5_000 ms). */
  bookmarkIntervalMs?: number;
  namespaces?: string[];
  /**
   * Run Kaniko-shaped containers as real buildah builds against this registry
   * (`kubesim serve --executor=buildah`); default: the scripted kubelet.
   */
  realBuilds?: BuildahExecutorOptions;
  /**
   * A pod whose Secret or ConfigMap volume names a missing object stays Pending
   * (ContainerCreating) with the kubelet's FailedMount event until the object
   * exists, as on a cluster. Off by default: stacks that mount objects they never
   * create (most tests) would otherwise hang.
   */
  checkMounts?: boolean;
  /** Replace the control plane (tests of the API layer alone pass a no-op one). */
  controlPlane?: (store: Store, options: ControlPlaneOptions) => ControlPlane;
}

export interface KubeSimControl {
  readonly store: SimStore;
  readonly controlPlane: ControlPlane;
  setFaults(config: FaultConfig): void;
  clearFaults(): void;
  getFaults(): FaultConfig;
  /** Ends every open watch now; returns how many were open. */
  dropWatches(): number;
  openWatches(): number;
  /** API requests served so far by "verb resource" (e.g. "create jobs", "watch pods"). */
  requestCounts(): Record<string, number>;
  resetRequestCounts(): void;
  /** The next `count` watches get one ERROR 410 Expired event and close. */
  expireNextWatches(count?: number): void;
  /** Cuts every connection and restarts the control plane; `keepState: false` also loses all objects. */
  restart(opts?: { keepState?: boolean }): Promise<void>;
  setScenario(rules: unknown): void;
  addRules(rules: unknown): void;
  getScenario(): unknown;
  clearScenario(): void;
}

export interface KubeSim {
  url: string;
  port: number;
  kubeConfig: KubeConfig;
  kubeconfigYaml: string;
  control: KubeSimControl;
  close(): Promise<void>;
}

export async function startKubeSim(options: KubeSimOptions = {}): Promise<KubeSim> {
  const store = createStore({
    ...(options.historySize !== undefined ? { historySize: options.historySize } : {}),
    speed: options.speed ?? 1,
    initialNamespaces: options.namespaces ?? DEFAULT_NAMESPACES,
  });
  const cpOptions: ControlPlaneOptions = {
    ...(options.legacyJobConditions !== undefined ? { legacyJobConditions: options.legacyJobConditions } : {}),
    ...(options.defaultRunMs !== undefined ? { defaultRunMs: options.defaultRunMs } : {}),
    ...(options.startDelayMs !== undefined ? { startDelayMs: options.startDelayMs } : {}),
    ...(options.checkMounts === true ? { checkMounts: true } : {}),
  };
  const executor = options.realBuilds !== undefined ? createBuildahExecutor(options.realBuilds) : undefined;
  if (executor !== undefined) cpOptions.executor = executor;
  const controlPlane = (options.controlPlane ?? createControlPlane)(store, cpOptions);
  if (options.scenario !== undefined) controlPlane.setScenario(options.scenario);
  const faults = new FaultInjector();
  let closed = false;

  async function restart(opts: { keepState?: boolean } = {}): Promise<void> {
    controlPlane.stop();
    api.hub.dropAll();
    // Every client connection breaks, as when a real API server restarts.
    api.server.closeAllConnections();
    if (opts.keepState === false) store.wipe();
    if (!closed) controlPlane.start();
  }

  const api = createApiServer({
    store,
    faults,
    controlPlane: () => controlPlane,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 5_000,
    restart,
  });
  await new Promise<void>((resolve, reject) => {
    api.server.once("error", reject);
    api.server.listen(options.port ?? 0, "127.0.0.1", () => {
      api.server.off("error", reject);
      resolve();
    });
  });
  controlPlane.start();
  const port = (api.server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const kubeconfigYaml = kubeconfigYamlFor(url);

  const control: KubeSimControl = {
    store,
    controlPlane,
    setFaults: (config) => {
      faults.set(config);
    },
    clearFaults: () => faults.clear(),
    getFaults: () => faults.get(),
    dropWatches: () => api.hub.dropAll(),
    openWatches: () => api.hub.size,
    requestCounts: () => api.requestCounts(),
    resetRequestCounts: () => api.resetRequestCounts(),
    expireNextWatches: (count = 1) => faults.expireNextWatches(count),
    restart,
    setScenario: (rules) => controlPlane.setScenario(rules),
    addRules: (rules) => controlPlane.addRules(rules),
    getScenario: () => controlPlane.getScenario(),
    clearScenario: () => controlPlane.clearScenario(),
  };

  return {
    url,
    port,
    kubeConfig: kubeConfigFor(kubeconfigYaml),
    kubeconfigYaml,
    control,
    async close() {
      if (closed) return;
      closed = true;
      controlPlane.stop();
      await executor?.stop();
      api.hub.close();
      const done = new Promise<void>((resolve) => api.server.close(() => resolve()));
      api.server.closeAllConnections();
      await done;
    },
  };
}
