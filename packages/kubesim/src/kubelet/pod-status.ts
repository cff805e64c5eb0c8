// Pure construction of a pod's `status` from the kubelet stand-in's view of it.
// Shapes follow what a real 1.31 kubelet writes, so code reading them behaves
// the same against a cluster.

export type WaitingReason = "ContainerCreating" | "ErrImagePull" | "ImagePullBackOff" | "CrashLoopBackOff";
export type TerminatedReason = "Completed" | "Error" | "OOMKilled";

export type ContainerState =
  | { kind: "waiting"; reason: WaitingReason; message?: string }
  | { kind: "running"; startedAt: Date }
  | {
      kind: "terminated";
      exitCode: number;
      reason: TerminatedReason;
      message?: string;
      startedAt: Date;
      finishedAt: Date;
    };

export interface ContainerRuntime {
  name: string;
  image: string;
  /** Set once the image has been "pulled". */
  imageID?: string;
  /** Set once the container has been "created". */
  containerID?: string;
  state: ContainerState;
  /** Restarts in place (restartPolicy OnFailure/Always) and how the last instance ended. */
  restartCount?: number;
  lastState?: ContainerState;
}

export interface Disruption {
  /** DisruptionTarget condition reason. */
  reason: "TerminationByKubelet" | "EvictionByEvictionAPI";
  message: string;
  /** Pod-level status.reason/message, e.g. "Evicted". */
  podReason?: string;
  podMessage?: string;
}

export interface PodRuntime {
  /** undefined: not yet looked at by the scheduler. */
  scheduling?: { scheduled: true } | { scheduled: false; message: string };
  hostIP?: string;
  podIP?: string;
  startTime?: Date;
  containers: ContainerRuntime[];
  disruption?: Disruption;
}

export interface PodCondition {
  type: string;
  status: "True" | "False";
  reason?: string;
  message?: string;
  lastProbeTime: null;
  lastTransitionTime: string;
}

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed";

export function podPhase(rt: PodRuntime): PodPhase {
  if (rt.disruption !== undefined) return "Failed";
  if (rt.scheduling?.scheduled !== true) return "Pending";
  const states = rt.containers.map((c) => c.state);
  if (states.length > 0 && states.every((s) => s.kind === "terminated")) {
    return states.every((s) => s.kind === "terminated" && s.exitCode === 0) ? "Succeeded" : "Failed";
  }
  // A container waiting to restart (CrashLoopBackOff) has started before: the pod stays Running.
  const neverStarted = rt.containers.some((c) => c.state.kind === "waiting" && (c.restartCount ?? 0) === 0);
  return neverStarted ? "Pending" : "Running";
}

export const UNSCHEDULABLE_MESSAGE =
  "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.";

function iso(d: Date): string {
  // Kubernetes timestamps have second precision on the wire.
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

function stateJson(s: ContainerState, containerID: string | undefined): Record<string, unknown> {
  return s.kind === "waiting"
      ? { waiting: { reason: s.reason, ...(s.message === undefined ? {} : { message: s.message }) } }
      : s.kind === "running"
        ? { running: { startedAt: iso(s.startedAt) } }
        : {
            terminated: {
              exitCode: s.exitCode,
              reason: s.reason,
              ...(s.message === undefined ? {} : { message: s.message }),
              startedAt: iso(s.startedAt),
              finishedAt: iso(s.finishedAt),
              ...(containerID === undefined ? {} : { containerID }),
            },
          };
}

function containerStatus(c: ContainerRuntime): Record<string, unknown> {
  const s = c.state;
  return {
    name: c.name,
    state: stateJson(s, c.containerID),
    lastState: c.lastState === undefined ? {} : stateJson(c.lastState, undefined),
    ready: s.kind === "running",
    restartCount: c.restartCount ?? 0,
    image: c.image,
    imageID: c.imageID ?? "",
    ...(c.containerID === undefined ? {} : { containerID: c.containerID }),
    started: s.kind === "running",
  };
}

function condition(
  previous: readonly PodCondition[],
  now: Date,
  type: string,
  status: "True" | "False",
  reason?: string,
  message?: string,
): PodCondition {
  const before = previous.find((c) => c.type === type);
  // lastTransitionTime only moves when the status flips, as on a real cluster.
  const lastTransitionTime =
    before !== undefined && before.status === status ? before.lastTransitionTime : iso(now);
  return {
    type,
    status,
    ...(reason === undefined ? {} : { reason }),
    ...(message === undefined ? {} : { message }),
    lastProbeTime: null,
    lastTransitionTime,
  };
}

/**
 * The pod `status` for the runtime view. `previous` are the conditions currently
 * stored, used to keep lastTransitionTime stable.
 */
export function buildPodStatus(
  rt: PodRuntime,
  previous: readonly PodCondition[],
  now: Date,
): Record<string, unknown> {
  const phase = podPhase(rt);
  const conditions: PodCondition[] = [];
  if (rt.disruption !== undefined) {
    conditions.push(condition(previous, now, "DisruptionTarget", "True", rt.disruption.reason, rt.disruption.message));
  }
  if (rt.scheduling === undefined) {
    return { phase, qosClass: "BestEffort" };
  }
  if (!rt.scheduling.scheduled) {
    conditions.push(condition(previous, now, "PodScheduled", "False", "Unschedulable", rt.scheduling.message));
    return { phase, conditions, qosClass: "BestEffort" };
  }
  const states = rt.containers.map((c) => c.state);
  const created = states.some((s) => s.kind !== "waiting") || rt.containers.some((c) => c.containerID !== undefined);
  const allRunning = states.length > 0 && states.every((s) => s.kind === "running");
  const terminal = phase === "Succeeded" || phase === "Failed";
  const unready = rt.containers.filter((c) => c.state.kind !== "running").map((c) => c.name);
  const [readyReason, readyMessage] = allRunning
    ? [undefined, undefined]
    : phase === "Succeeded" || (terminal && rt.disruption === undefined)
      ? ["PodCompleted", undefined]
      : ["ContainersNotReady", `containers with unready status: [${unready.join(" ")}]`];
  const ready = allRunning && !terminal ? "True" : "False";
  conditions.push(
    condition(previous, now, "PodReadyToStartContainers", created || !terminal ? "True" : "False"),
    condition(previous, now, "Initialized", "True"),
    condition(previous, now, "Ready", ready, readyReason, readyMessage),
    condition(previous, now, "ContainersReady", ready, readyReason, readyMessage),
    condition(previous, now, "PodScheduled", "True"),
  );
  const status: Record<string, unknown> = {
    phase,
    conditions,
    ...(rt.hostIP === undefined ? {} : { hostIP: rt.hostIP, hostIPs: [{ ip: rt.hostIP }] }),
    ...(rt.podIP === undefined ? {} : { podIP: rt.podIP, podIPs: [{ ip: rt.podIP }] }),
    ...(rt.startTime === undefined ? {} : { startTime: iso(rt.startTime) }),
    containerStatuses: rt.containers.map(containerStatus),
    qosClass: "BestEffort",
  };
  if (rt.disruption?.podReason !== undefined) status["reason"] = rt.disruption.podReason;
  if (rt.disruption?.podMessage !== undefined) status["message"] = rt.disruption.podMessage;
  return status;
}

/** `terminated` for a container killed by the kubelet (deletion, eviction): SIGKILL → 137. */
export function killed(c: ContainerRuntime, now: Date): ContainerState {
  const startedAt = c.state.kind === "running" ? c.state.startedAt : now;
  return { kind: "terminated", exitCode: 137, reason: "Error", startedAt, finishedAt: now };
}

export { iso as kubeTime };
