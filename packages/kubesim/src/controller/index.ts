// Entry point of kubesim's simulated control plane (Job controller + kubelet
// stand-in). The server wires it to a Store; everything else is internal.
import type { ControlPlane, ControlPlaneOptions, LogSource, Store } from "../store/types.js";

export function createControlPlane(store: Store, options: ControlPlaneOptions): ControlPlane {
  // Placeholder until the controller and kubelet land: lets the server wire the
  // contract now. It reacts to nothing, so Jobs stay without pods.
  void store;
  void options;
  let rules: unknown[] = [];
  const logs: LogSource = {
    read: () => "",
    follow: (_ns, _pod, _container, _onLine, onEnd) => {
      onEnd();
      return () => undefined;
    },
  };
  return {
    logs,
    setScenario: (r) => {
      rules = Array.isArray(r) ? [...(r as unknown[])] : [];
    },
    addRules: (r) => {
      rules = [...rules, ...(Array.isArray(r) ? (r as unknown[]) : [])];
    },
    clearScenario: () => {
      rules = [];
    },
    getScenario: () => ({ rules }),
    start: () => undefined,
    stop: () => undefined,
  };
}
