// Entry point of kubesim's simulated control plane: the Job controller and the
// kubelet stand-in sharing one set of scenario rules and one log store.
import { createKubelet } from "../kubelet/kubelet.js";
import { createLogStore } from "../kubelet/logs.js";
import type { ScenarioRule } from "../scenario/rules.js";
import { parseScenario } from "../scenario/rules.js";
import type { ControlPlane, ControlPlaneOptions, Store } from "../store/types.js";
import { createJobController } from "./job-controller.js";

export const DEFAULT_RUN_MS = 5_000;
export const DEFAULT_START_DELAY_MS = 1_000;

export function createControlPlane(store: Store, options: ControlPlaneOptions): ControlPlane {
  let rules: ScenarioRule[] = [];
  const logs = createLogStore((namespace, name) => store.get("pods", namespace, name));
  const controller = createJobController(store, {
    legacyJobConditions: options.legacyJobConditions === true,
  });
  const kubelet = createKubelet(store, {
    defaultRunMs: options.defaultRunMs ?? DEFAULT_RUN_MS,
    startDelayMs: options.startDelayMs ?? DEFAULT_START_DELAY_MS,
    rules: () => rules,
    logs,
    ...(options.executor !== undefined ? { executor: options.executor } : {}),
    ...(options.checkMounts === true ? { checkMounts: true } : {}),
  });
  return {
    logs,
    setScenario(input) {
      rules = parseScenario(input);
      kubelet.retryPending();
    },
    addRules(input) {
      rules = [...rules, ...parseScenario(input)];
      kubelet.retryPending();
    },
    clearScenario() {
      rules = [];
      kubelet.retryPending();
    },
    getScenario() {
      return { rules: structuredClone(rules) };
    },
    start() {
      // Controller first: on resync it must see existing pods before the kubelet rewrites them.
      controller.start();
      kubelet.start();
    },
    stop() {
      kubelet.stop();
      controller.stop();
      logs.endAll();
    },
  };
}
