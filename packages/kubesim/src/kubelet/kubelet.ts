// Kubelet stand-in: takes every new pod through Pending → Running →
// Succeeded/Failed following the scenario rules, writes real-looking pod status
// and container logs. All waiting goes through the simulated clock.
import { randomBytes } from "node:crypto";
import type { Outcome, ScenarioRule } from "../scenario/rules.js";
import { outcomeFor } from "../scenario/rules.js";
import type { KubeObject, Store, StoreEvent } from "../store/types.js";
import { buildArgsOf, dockerfileStages, mountedDockerfile } from "./dockerfile.js";
import type { DockerfileStage } from "./dockerfile.js";
import { crashLoopDelayMs, imageIdFor, logPlanFor, runMsOf, shouldRestart, terminatedState, withLogFallback } from "./container-plan.js";
import type { BuildahExecutor } from "../executor/buildah/buildah-executor.js";
import type { PodVolume, VolumeMount } from "../executor/buildah/pod-volumes.js";
import { isKanikoContainer } from "./kaniko.js";
import type { LogStore } from "./logs.js";
import { startRealBuild } from "./real-build.js";
import { podEvent } from "./pod-events.js";
import { missingClaimMessage, missingMounts } from "./pod-mounts.js";
import type { ContainerRuntime, PodCondition, PodRuntime } from "./pod-status.js";
import { UNSCHEDULABLE_MESSAGE, buildPodStatus, killed, podPhase } from "./pod-status.js";

export const NODE_NAME = "kubesim-node-1";
export const HOST_IP = "172.18.0.2";
/** Back-off between ErrImagePull and ImagePullBackOff, as the kubelet reports it. */
const IMAGE_PULL_BACKOFF_MS = 5_000;
export const EVICTION_MESSAGE = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 48Mi. ";

export interface KubeletOptions {
  defaultRunMs: number;
  startDelayMs: number;
  rules: () => readonly ScenarioRule[];
  logs: LogStore;
  /** Real builds: Kaniko-shaped containers no failure rule scripts run as buildah builds. */
  executor?: BuildahExecutor;
  /**
   * Hold a pod whose Secret or ConfigMap volume names an object that does not exist in
   * ContainerCreating with a FailedMount event, until the object appears (as the kubelet does);
   * and a pod whose PersistentVolumeClaim does not exist unscheduled with the scheduler's
   * FailedScheduling event, until the claim appears.
   */
  checkMounts?: boolean;
}

export interface Kubelet {
  start(): void;
  stop(): void;
  /**
   * Scenario rules changed: pods held Pending by a rule (Unschedulable, image pull
   * back-off) are looked at again, as the scheduler and kubelet keep retrying.
   */
  retryPending(): void;
}

interface ContainerSpec {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  volumeMounts?: VolumeMount[];
  env?: { name: string; value?: string }[];
  terminationMessagePolicy?: string;
}

interface ContainerRun {
  args: string[];
  /** Outcome of the n-th in-place restart of this container. */
  outcomeAt: (restarts: number) => Outcome;
  restartPolicy: string;
  volumes: readonly PodVolume[];
  mounts: readonly VolumeMount[];
  env: Readonly<Record<string, string>>;
  /** The container's terminationMessagePolicy (File or FallbackToLogsOnError). */
  terminationMessagePolicy?: string | undefined;
  /** The Dockerfile's stages, when kubesim could read it (for Kaniko's log). */
  stages?: readonly DockerfileStage[];
}

interface PodRecord {
  uid: string;
  namespace: string;
  name: string;
  rt: PodRuntime;
  timers: Set<() => void>;
  finished: boolean;
  attempt: number;
}

/** Literal env values of a container (valueFrom is not resolved). */
function plainEnv(env: ContainerSpec["env"]): Record<string, string> {
  return Object.fromEntries((env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? ""]));
}

export function createKubelet(store: Store, options: KubeletOptions): Kubelet {
  const records = new Map<string, PodRecord>();
  /** Pods held in ContainerCreating by a missing Secret/ConfigMap: how to start them once it exists. */
  const mountWaits = new Map<string, { rec: PodRecord; volumes: readonly PodVolume[]; start: () => void }>();
  /** Attempt index per Job uid: the n-th pod of a Job that this kubelet has seen. */
  const attempts = new Map<string, number>();
  let nextIp = 0;
  let running = false;
  let unsubscribe: (() => void) | undefined;

  function after(rec: PodRecord, ms: number, fn: () => void): void {
    const cancel = store.clock.after(ms, () => {
      rec.timers.delete(cancel);
      if (running && records.get(rec.uid) === rec) fn();
    });
    rec.timers.add(cancel);
  }

  /** Forget a pod; its logs go too when the pod itself is gone (not on a control-plane stop). */
  function drop(uid: string, podGone: boolean): void {
    const rec = records.get(uid);
    if (rec === undefined) return;
    for (const cancel of rec.timers) cancel();
    records.delete(uid);
    mountWaits.delete(uid);
    if (podGone) options.logs.removePod(rec.namespace, rec.name);
  }

  function write(rec: PodRecord): void {
    const now = store.clock.now();
    store.mutate("pods", rec.namespace, rec.name, (pod) => {
      if (pod.metadata.uid !== rec.uid) return;
      const spec = (pod["spec"] ?? {}) as Record<string, unknown>;
      if (rec.rt.scheduling?.scheduled === true) spec["nodeName"] = NODE_NAME;
      pod["spec"] = spec;
      const previous = ((pod["status"] as { conditions?: PodCondition[] } | undefined)?.conditions ?? []);
      pod["status"] = buildPodStatus(rec.rt, previous, now);
    });
  }

  let lastNanos = 0n;
  function warn(rec: PodRecord, component: "default-scheduler" | "kubelet", reason: string, message: string): void {
    // Event names are `<object>.<unix nanos in hex>` like the real recorder's.
    let nanos = BigInt(store.clock.now().getTime()) * 1_000_000n;
    if (nanos <= lastNanos) nanos = lastNanos + 1n;
    lastNanos = nanos;
    try {
      store.create("events", rec.namespace, podEvent(rec, component, reason, message, store.clock.now(), nanos.toString(16)));
    } catch {
      // The namespace is being deleted; the event has nowhere to go.
    }
  }

  function finishIfDone(rec: PodRecord): void {
    const phase = podPhase(rec.rt);
    if (phase !== "Succeeded" && phase !== "Failed") return;
    rec.finished = true;
    for (const cancel of rec.timers) cancel();
    rec.timers.clear();
    for (const c of rec.rt.containers) options.logs.end(rec.namespace, rec.name, c.name);
  }

  function attemptOf(pod: KubeObject): number {
    const owner = pod.metadata.ownerReferences?.find((o) => o.controller === true && o.kind === "Job");
    if (owner === undefined) return 0;
    const n = attempts.get(owner.uid) ?? 0;
    attempts.set(owner.uid, n + 1);
    return n;
  }

  function admit(pod: KubeObject, retryOf?: number): void {
    const uid = pod.metadata.uid ?? "";
    if (records.has(uid)) return;
    const specs = ((pod["spec"] as { containers?: ContainerSpec[] } | undefined)?.containers ?? []);
    const attempt = retryOf ?? attemptOf(pod);
    const target = {
      namespace: pod.metadata.namespace ?? "",
      labels: pod.metadata.labels ?? {},
      annotations: pod.metadata.annotations ?? {},
      jobName: pod.metadata.labels?.["batch.kubernetes.io/job-name"],
    };
    const restartPolicy = (pod["spec"] as { restartPolicy?: string } | undefined)?.restartPolicy ?? "Always";
    const readConfigMap = (name: string): Record<string, string> | undefined =>
      (store.get("configmaps", pod.metadata.namespace ?? "", name)?.["data"] as Record<string, string> | undefined) ?? undefined;
    const volumes = ((pod["spec"] as { volumes?: PodVolume[] } | undefined)?.volumes ?? []);
    const plans = specs.map((c, index) => {
      const args = [...(c.command ?? []), ...(c.args ?? [])];
      const dockerfile = mountedDockerfile(pod as Parameters<typeof mountedDockerfile>[0], index, readConfigMap);
      const stages = dockerfile === undefined ? [] : dockerfileStages(dockerfile, buildArgsOf(args));
      // An in-place restart is the next attempt of the script.
      const outcomeAt = (restarts: number): Outcome =>
        outcomeFor(options.rules(), { ...target, image: c.image ?? "", args }, attempt + restarts) ?? {
          succeed: { afterMs: options.defaultRunMs },
        };
      return { spec: c, args, outcome: outcomeAt(0), outcomeAt, stages };
    });
    const rec: PodRecord = {
      uid,
      namespace: pod.metadata.namespace ?? "",
      name: pod.metadata.name ?? "",
      rt: { containers: plans.map((p) => ({ name: p.spec.name ?? "", image: p.spec.image ?? "", state: { kind: "waiting", reason: "ContainerCreating" } })) },
      timers: new Set(),
      finished: false,
      attempt,
    };
    records.set(uid, rec);

    const noClaim = options.checkMounts === true ? missingClaimMessage(volumes, (name) => store.get("persistentvolumeclaims", rec.namespace, name) !== undefined) : undefined;
    if (noClaim !== undefined) {
      rec.rt.scheduling = { scheduled: false, message: noClaim };
      write(rec);
      warn(rec, "default-scheduler", "FailedScheduling", noClaim);
      return;
    }
    const unschedulable = plans.find((p) => "unschedulable" in p.outcome)?.outcome;
    if (unschedulable !== undefined && "unschedulable" in unschedulable) {
      rec.rt.scheduling = { scheduled: false, message: unschedulable.unschedulable.message ?? UNSCHEDULABLE_MESSAGE };
      write(rec);
      warn(rec, "default-scheduler", "FailedScheduling", rec.rt.scheduling.message);
      return;
    }
    nextIp = (nextIp % 60_000) + 1;
    rec.rt.scheduling = { scheduled: true };
    rec.rt.hostIP = HOST_IP;
    rec.rt.podIP = `10.244.${Math.floor(nextIp / 250)}.${(nextIp % 250) + 2}`;
    rec.rt.startTime = store.clock.now();
    write(rec);
    const start = (): void => startContainersLater(rec, plans, restartPolicy, volumes);
    if (options.checkMounts === true) {
      const blocked = missingMounts(volumes, mountSourceExists(rec.namespace));
      if (blocked.length > 0) {
        for (const m of blocked) warn(rec, "kubelet", "FailedMount", m.message);
        mountWaits.set(uid, { rec, volumes, start });
        return;
      }
    }
    start();
  }

  function mountSourceExists(namespace: string): (kind: "secret" | "configmap", name: string) => boolean {
    return (kind, name) => store.get(kind === "secret" ? "secrets" : "configmaps", namespace, name) !== undefined;
  }

  /** A Secret or ConfigMap appeared: pods waiting for it mount it and start (the kubelet's mount retry). */
  function retryMounts(namespace: string): void {
    for (const [uid, wait] of [...mountWaits]) {
      if (wait.rec.namespace !== namespace || records.get(uid) !== wait.rec) continue;
      if (missingMounts(wait.volumes, mountSourceExists(namespace)).length > 0) continue;
      mountWaits.delete(uid);
      wait.start();
    }
  }

  function startContainersLater(
    rec: PodRecord,
    plans: readonly { spec: ContainerSpec; args: string[]; outcomeAt: (restarts: number) => Outcome; stages: readonly DockerfileStage[] }[],
    restartPolicy: string,
    volumes: readonly PodVolume[],
  ): void {
    after(rec, options.startDelayMs, () => {
      plans.forEach((plan, index) => {
        const c = rec.rt.containers[index];
        if (c !== undefined) {
          startContainer(rec, c, {
            args: plan.args,
            outcomeAt: plan.outcomeAt,
            restartPolicy,
            volumes,
            mounts: plan.spec.volumeMounts ?? [],
            env: plainEnv(plan.spec.env),
            terminationMessagePolicy: plan.spec.terminationMessagePolicy,
            stages: plan.stages,
          });
        }
      });
      write(rec);
    });
  }

  function startContainer(rec: PodRecord, c: ContainerRuntime, run: ContainerRun): void {
    const { args } = run;
    const outcome = run.outcomeAt(c.restartCount ?? 0);
    if ("imagePullBackOff" in outcome) {
      const message = `failed to pull and unpack image "${c.image}": failed to resolve reference "${c.image}": not found`;
      c.state = { kind: "waiting", reason: "ErrImagePull", message };
      warn(rec, "kubelet", "Failed", `Failed to pull image "${c.image}": ${message}`);
      after(rec, IMAGE_PULL_BACKOFF_MS, () => {
        c.state = { kind: "waiting", reason: "ImagePullBackOff", message: `Back-off pulling image "${c.image}"` };
        write(rec);
        warn(rec, "kubelet", "BackOff", `Back-off pulling image "${c.image}"`);
      });
      return;
    }
    c.imageID = imageIdFor(c.image);
    if (options.executor !== undefined && "succeed" in outcome && isKanikoContainer(c.image, args)) {
      c.containerID = `containerd://${randomBytes(32).toString("hex")}`;
      const cancel = startRealBuild(options.executor, store, options.logs, c, { namespace: rec.namespace, podName: rec.name, args, env: run.env, volumes: run.volumes, mounts: run.mounts }, {
        alive: () => running && records.get(rec.uid) === rec && !rec.finished,
        changed: () => write(rec),
        terminated: () => {
          rec.timers.delete(cancel);
          finishIfDone(rec);
          write(rec);
        },
      });
      // Held with the timers: deleting, evicting or dropping the pod kills the build.
      rec.timers.add(cancel);
      return;
    }
    const startedAt = store.clock.now();
    c.containerID = `containerd://${randomBytes(32).toString("hex")}`;
    c.state = { kind: "running", startedAt };
    options.logs.start(rec.namespace, rec.name, c.name);

    const runMs = runMsOf(outcome, options.defaultRunMs);
    const lines = logPlanFor(c.image, c.name, args, outcome, runMs ?? options.defaultRunMs, run.stages ?? []);
    let written = 0;
    const writeLinesUpTo = (fraction: number) => {
      while (written < lines.length && (lines[written]?.at ?? 2) <= fraction) {
        options.logs.append(rec.namespace, rec.name, c.name, lines[written]?.text ?? "", store.clock.now());
        written++;
      }
    };
    writeLinesUpTo(0);
    // A hanging container logs its first lines at the default pace, then goes quiet.
    const pace = runMs ?? options.defaultRunMs;
    for (const fraction of new Set(lines.map((l) => l.at).filter((a) => a > 0 && (runMs !== undefined || a < 1)))) {
      after(rec, fraction * pace, () => writeLinesUpTo(fraction));
    }
    if (runMs === undefined) return; // hang: runs until deleted
    after(rec, runMs, () => {
      if (c.state.kind !== "running") return;
      if ("evict" in outcome) {
        evict(rec, outcome.evict.by ?? "kubelet");
        return;
      }
      writeLinesUpTo(1);
      c.state = terminatedState(outcome, args, startedAt, store.clock.now());
      if (run.terminationMessagePolicy === "FallbackToLogsOnError") {
        c.state = withLogFallback(c.state, lines.slice(0, written).map((l) => l.text));
      }
      options.logs.end(rec.namespace, rec.name, c.name);
      const ended = c.state;
      if (ended.kind === "terminated" && shouldRestart(run.restartPolicy, ended.exitCode)) {
        restartLater(rec, c, run);
      } else {
        finishIfDone(rec);
      }
      write(rec);
    });
  }

  /** CrashLoopBackOff, then the same container starts again with restartCount + 1. */
  function restartLater(rec: PodRecord, c: ContainerRuntime, run: ContainerRun): void {
    const restarts = (c.restartCount ?? 0) + 1;
    const delay = crashLoopDelayMs(restarts);
    c.lastState = c.state;
    c.restartCount = restarts;
    c.state = {
      kind: "waiting",
      reason: "CrashLoopBackOff",
      message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.name} pod=${rec.name}_${rec.namespace}(${rec.uid})`,
    };
    after(rec, delay, () => {
      startContainer(rec, c, run);
      write(rec);
    });
  }

  /**
   * Eviction: every container is killed and the pod gets the DisruptionTarget
   * condition. Node pressure (`kubelet`) leaves a Failed pod with reason Evicted;
   * the Eviction API (`api`) then deletes the pod, as the real API server does.
   */
  function evict(rec: PodRecord, by: "kubelet" | "api"): void {
    const now = store.clock.now();
    for (const c of rec.rt.containers) if (c.state.kind !== "terminated") c.state = killed(c, now);
    rec.rt.disruption =
      by === "kubelet"
        ? { reason: "TerminationByKubelet", message: EVICTION_MESSAGE, podReason: "Evicted", podMessage: EVICTION_MESSAGE }
        : { reason: "EvictionByEvictionAPI", message: "Eviction API: evicting" };
    finishIfDone(rec);
    write(rec);
    if (by === "kubelet") warn(rec, "kubelet", "Evicted", EVICTION_MESSAGE);
    if (by === "api") {
      try {
        store.delete("pods", rec.namespace, rec.name);
      } catch {
        // Already deleted.
      }
    }
  }

  /** Deletion held by finalizers: the kubelet kills the containers (no grace period modelled). */
  function terminateForDeletion(rec: PodRecord): void {
    if (rec.finished) return;
    const now = store.clock.now();
    for (const c of rec.rt.containers) {
      if (c.state.kind === "running") c.state = killed(c, now);
    }
    if (rec.rt.containers.every((c) => c.state.kind === "terminated")) {
      finishIfDone(rec);
      write(rec);
    }
  }

  /** Pods seen but not admitted yet; a DELETED event removes them, so admission never needs a get. */
  const pending = new Map<string, KubeObject>();
  let flushScheduled = false;
  function flush(): void {
    flushScheduled = false;
    const pods = [...pending.values()];
    pending.clear();
    for (const pod of pods) {
      if (!running) return;
      try {
        admit(pod);
      } catch {
        // The pod vanished between the event and admission; nothing to run.
      }
    }
  }

  function onEvent(event: StoreEvent): void {
    if (event.resource === "jobs" && event.type === "DELETED") attempts.delete(event.object.metadata.uid ?? "");
    if ((event.resource === "secrets" || event.resource === "configmaps") && event.type === "ADDED" && mountWaits.size > 0) {
      const namespace = event.object.metadata.namespace ?? "";
      // Store listeners run inside the store's commit; start containers after it returns.
      queueMicrotask(() => {
        if (running) retryMounts(namespace);
      });
      return;
    }
    if (event.resource === "persistentvolumeclaims" && event.type === "ADDED" && options.checkMounts === true) {
      // The scheduler retries unschedulable pods when a claim appears; after the store's commit.
      queueMicrotask(retryPending);
      return;
    }
    if (event.resource !== "pods") return;
    const pod = event.object;
    const uid = pod.metadata.uid ?? "";
    if (event.type === "DELETED") {
      pending.delete(uid);
      drop(uid, true);
      return;
    }
    const rec = records.get(uid);
    if (rec !== undefined) {
      if (pod.metadata.deletionTimestamp !== undefined) queueMicrotask(() => {
        if (running && records.get(uid) === rec) terminateForDeletion(rec);
      });
      return;
    }
    const phase = (pod["status"] as { phase?: string } | undefined)?.phase;
    if (phase === "Succeeded" || phase === "Failed" || pod.metadata.deletionTimestamp !== undefined) return;
    pending.set(uid, pod);
    if (!flushScheduled) {
      flushScheduled = true;
      // Store listeners run inside the store's commit; write pod status after it returns.
      queueMicrotask(flush);
    }
  }

  function heldPending(rec: PodRecord): boolean {
    if (rec.finished) return false;
    if (rec.rt.scheduling?.scheduled === false) return true;
    return rec.rt.containers.some(
      (c) => c.state.kind === "waiting" && (c.state.reason === "ErrImagePull" || c.state.reason === "ImagePullBackOff"),
    );
  }

  function retryPending(): void {
    if (!running) return;
    for (const rec of [...records.values()]) {
      if (!heldPending(rec)) continue;
      const pod = store.get("pods", rec.namespace, rec.name);
      for (const cancel of rec.timers) cancel();
      records.delete(rec.uid);
      if (pod?.metadata.uid === rec.uid) admit(pod, rec.attempt);
    }
  }

  return {
    retryPending,
    start() {
      if (running) return;
      running = true;
      unsubscribe = store.subscribe(onEvent);
      const pods = store.list("pods", undefined).items;
      // Logs survive a restart that kept the pods (kubectl logs still works), not a wipe.
      const alive = new Set(pods.map((p) => `${p.metadata.namespace ?? ""}/${p.metadata.name ?? ""}`));
      options.logs.retainPods((namespace, name) => alive.has(`${namespace}/${name}`));
      // Attempts already played out (terminal pods) keep their index, so a scenario's
      // per-attempt script continues where it was rather than starting over.
      for (const pod of pods) {
        const owner = pod.metadata.ownerReferences?.find((o) => o.controller === true && o.kind === "Job");
        const phase = (pod["status"] as { phase?: string } | undefined)?.phase;
        if (owner !== undefined && (phase === "Succeeded" || phase === "Failed")) {
          attempts.set(owner.uid, (attempts.get(owner.uid) ?? 0) + 1);
        }
      }
      // Pods left by a previous run start over: their simulated containers did not survive.
      for (const pod of pods) {
        onEvent({ type: "ADDED", resource: "pods", object: pod, resourceVersion: 0 });
      }
    },
    stop() {
      if (!running) return;
      running = false;
      unsubscribe?.();
      unsubscribe = undefined;
      pending.clear();
      for (const uid of [...records.keys()]) drop(uid, false);
      attempts.clear();
    },
  };
}
