// Kubelet side of real builds: hands a Kaniko-shaped container to the buildah
// executor and turns what the build does into container state and log lines.
import type { BuildahExecutor } from "../executor/buildah/buildah-executor.js";
import type { PodVolume, VolumeMount } from "../executor/buildah/pod-volumes.js";
import type { Store } from "../store/types.js";
import type { LogStore } from "./logs.js";
import type { ContainerRuntime } from "./pod-status.js";

export interface RealBuildTarget {
  namespace: string;
  podName: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  volumes: readonly PodVolume[];
  mounts: readonly VolumeMount[];
}

export interface RealBuildHooks {
  /** Still the current run of this pod (not dropped, kubelet running). */
  alive(): boolean;
  /** Container state changed: write the pod status. */
  changed(): void;
  /** The container terminated by itself. */
  terminated(): void;
}

function decoded(data: unknown, base64: boolean): Record<string, string> | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  return Object.fromEntries(
    Object.entries(data as Record<string, unknown>).map(([k, v]) => [k, base64 ? Buffer.from(String(v), "base64").toString("utf8") : String(v)]),
  );
}

/** Returns the cancel function (kills the build, nothing more is reported). */
export function startRealBuild(
  executor: BuildahExecutor,
  store: Store,
  logs: LogStore,
  c: ContainerRuntime,
  target: RealBuildTarget,
  hooks: RealBuildHooks,
): () => void {
  const { namespace, podName } = target;
  let startedAt = store.clock.now();
  return executor.run({
    namespace,
    podName,
    args: target.args,
    env: target.env,
    volumes: target.volumes,
    mounts: target.mounts,
    sources: {
      configMap: (name) => {
        const cm = store.get("configmaps", namespace, name);
        return cm === undefined ? undefined : { ...decoded(cm["data"], false), ...decoded(cm["binaryData"], true) };
      },
      secret: (name) => {
        const secret = store.get("secrets", namespace, name);
        return secret === undefined ? undefined : (decoded(secret["data"], true) ?? {});
      },
    },
    onQueued(message) {
      if (!hooks.alive() || c.state.kind !== "waiting") return;
      c.state = { kind: "waiting", reason: "ContainerCreating", message };
      hooks.changed();
    },
    onStart() {
      if (!hooks.alive()) return;
      startedAt = store.clock.now();
      c.state = { kind: "running", startedAt };
      logs.start(namespace, podName, c.name);
      hooks.changed();
    },
    onLine(text) {
      if (hooks.alive()) logs.append(namespace, podName, c.name, text, store.clock.now());
    },
    onExit({ exitCode, message }) {
      if (!hooks.alive() || c.state.kind !== "running") return;
      c.state = {
        kind: "terminated",
        exitCode,
        reason: exitCode === 0 ? "Completed" : "Error",
        ...(message === undefined ? {} : { message }),
        startedAt,
        finishedAt: store.clock.now(),
      };
      logs.end(namespace, podName, c.name);
      hooks.terminated();
    },
  });
}
