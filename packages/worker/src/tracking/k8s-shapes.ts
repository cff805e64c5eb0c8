import { ANNOTATION_BUILD_ID, KANIKO_CONTAINER_NAME, LABEL_BUILD_ID } from "../kaniko/labels.js";

/**
 * The parts of a Job and a Pod that status derivation reads.
 *
 * Structural on purpose: client-node's `V1Job`/`V1Pod` (times as `Date`, from typed
 * API calls) and the plain JSON that a watch delivers (times as RFC 3339 strings)
 * both fit, so the pure core does not care where an object came from.
 */
export type K8sTime = string | Date;

export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: K8sTime;
  deletionTimestamp?: K8sTime;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { uid?: string; kind?: string; name?: string }[];
}

export interface ConditionLike {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: K8sTime;
}

export interface JobLike {
  metadata?: ObjectMetaLike;
  spec?: { backoffLimit?: number; activeDeadlineSeconds?: number };
  status?: {
    conditions?: ConditionLike[];
    active?: number;
    ready?: number;
    succeeded?: number;
    failed?: number;
    startTime?: K8sTime;
    completionTime?: K8sTime;
  };
}

export interface ContainerStateLike {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: K8sTime };
  terminated?: {
    exitCode: number;
    reason?: string;
    message?: string;
    startedAt?: K8sTime;
    finishedAt?: K8sTime;
  };
}

export interface ContainerStatusLike {
  name: string;
  state?: ContainerStateLike;
  lastState?: ContainerStateLike;
}

export interface PodLike {
  metadata?: ObjectMetaLike;
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    startTime?: K8sTime;
    conditions?: ConditionLike[];
    containerStatuses?: ContainerStatusLike[];
  };
}

export function toIso(t: K8sTime | undefined): string | undefined {
  if (t === undefined) return undefined;
  if (t instanceof Date) return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
  return t;
}

/**
 * What the tracker keeps of an object: what status derivation, the tracker and the
 * reflector read, and nothing else. A Kaniko Job or Pod as the API server sends it is
 * mostly spec (the pod template: args, volumes, resources) and status nobody here reads
 * (a running pod's five conditions with their times, kubectl's annotations); a worker
 * following 10,000 builds holds one Job and one Pod projection for each of them, so every
 * field kept costs ~10,000 objects or strings. Kept:
 * - metadata: name, namespace (the cache key), uid, resourceVersion (relist diff),
 *   creationTimestamp (attempt order), deletionTimestamp, the build id (annotation, or the
 *   label of a Job made without it: see buildIdOf), the first owner's uid (pods of an
 *   older Job of the same name);
 * - Job: backoffLimit, activeDeadlineSeconds, the counts, start/completion time, and the
 *   conditions that are True (derivation only looks for True ones);
 * - Pod: phase, reason, message, startTime, the DisruptionTarget=True and PodScheduled=False
 *   conditions, and the kaniko container's current state.
 * Objects are built by assignment in one fixed order (not conditional spreads), so all
 * projections share their hidden classes.
 */
function slimMeta(m: ObjectMetaLike | undefined): ObjectMetaLike | undefined {
  if (m === undefined) return undefined;
  const out: ObjectMetaLike = {};
  if (m.name !== undefined) out.name = m.name;
  if (m.namespace !== undefined) out.namespace = m.namespace;
  if (m.uid !== undefined) out.uid = m.uid;
  if (m.resourceVersion !== undefined) out.resourceVersion = m.resourceVersion;
  if (m.creationTimestamp !== undefined) out.creationTimestamp = m.creationTimestamp;
  if (m.deletionTimestamp !== undefined) out.deletionTimestamp = m.deletionTimestamp;
  const annotated = m.annotations?.[ANNOTATION_BUILD_ID];
  if (annotated !== undefined) out.annotations = { [ANNOTATION_BUILD_ID]: annotated };
  else {
    const labelled = m.labels?.[LABEL_BUILD_ID];
    if (labelled !== undefined) out.labels = { [LABEL_BUILD_ID]: labelled };
  }
  const owner = m.ownerReferences?.[0];
  if (owner !== undefined) out.ownerReferences = [owner.uid !== undefined ? { uid: owner.uid } : {}];
  return out;
}

function slimCondition(c: ConditionLike): ConditionLike {
  const out: ConditionLike = { type: c.type, status: c.status };
  if (c.reason !== undefined) out.reason = c.reason;
  if (c.message !== undefined) out.message = c.message;
  if (c.lastTransitionTime !== undefined) out.lastTransitionTime = c.lastTransitionTime;
  return out;
}

function slimConditions(conditions: ConditionLike[] | undefined, keep: (c: ConditionLike) => boolean): ConditionLike[] | undefined {
  if (conditions === undefined) return undefined;
  const kept: ConditionLike[] = [];
  for (const c of conditions) if (keep(c)) kept.push(slimCondition(c));
  return kept.length > 0 ? kept : undefined;
}

export function slimJob(job: JobLike): JobLike {
  const out: JobLike = {};
  const metadata = slimMeta(job.metadata);
  if (metadata !== undefined) out.metadata = metadata;
  if (job.spec !== undefined) {
    const spec: NonNullable<JobLike["spec"]> = {};
    if (job.spec.backoffLimit !== undefined) spec.backoffLimit = job.spec.backoffLimit;
    if (job.spec.activeDeadlineSeconds !== undefined) spec.activeDeadlineSeconds = job.spec.activeDeadlineSeconds;
    out.spec = spec;
  }
  if (job.status !== undefined) {
    const { active, ready, succeeded, failed, startTime, completionTime } = job.status;
    const status: NonNullable<JobLike["status"]> = {};
    const conditions = slimConditions(job.status.conditions, (c) => c.status === "True");
    if (conditions !== undefined) status.conditions = conditions;
    if (active !== undefined) status.active = active;
    if (ready !== undefined) status.ready = ready;
    if (succeeded !== undefined) status.succeeded = succeeded;
    if (failed !== undefined) status.failed = failed;
    if (startTime !== undefined) status.startTime = startTime;
    if (completionTime !== undefined) status.completionTime = completionTime;
    out.status = status;
  }
  return out;
}

function slimState(state: ContainerStateLike): ContainerStateLike {
  const out: ContainerStateLike = {};
  if (state.waiting !== undefined) {
    const waiting: NonNullable<ContainerStateLike["waiting"]> = {};
    if (state.waiting.reason !== undefined) waiting.reason = state.waiting.reason;
    if (state.waiting.message !== undefined) waiting.message = state.waiting.message;
    out.waiting = waiting;
  }
  if (state.running !== undefined) out.running = state.running.startedAt !== undefined ? { startedAt: state.running.startedAt } : {};
  if (state.terminated !== undefined) {
    const t = state.terminated;
    const terminated: NonNullable<ContainerStateLike["terminated"]> = { exitCode: t.exitCode };
    if (t.reason !== undefined) terminated.reason = t.reason;
    if (t.message !== undefined) terminated.message = t.message;
    if (t.startedAt !== undefined) terminated.startedAt = t.startedAt;
    if (t.finishedAt !== undefined) terminated.finishedAt = t.finishedAt;
    out.terminated = terminated;
  }
  return out;
}

export function slimPod(pod: PodLike): PodLike {
  const out: PodLike = {};
  const metadata = slimMeta(pod.metadata);
  if (metadata !== undefined) out.metadata = metadata;
  if (pod.status !== undefined) {
    const { phase, reason, message, startTime, containerStatuses } = pod.status;
    const status: NonNullable<PodLike["status"]> = {};
    if (phase !== undefined) status.phase = phase;
    if (reason !== undefined) status.reason = reason;
    if (message !== undefined) status.message = message;
    if (startTime !== undefined) status.startTime = startTime;
    const conditions = slimConditions(
      pod.status.conditions,
      (c) => (c.type === "DisruptionTarget" && c.status === "True") || (c.type === "PodScheduled" && c.status === "False"),
    );
    if (conditions !== undefined) status.conditions = conditions;
    if (containerStatuses !== undefined) {
      // Derivation reads the kaniko container (or the only one): the others are not kept.
      const kaniko = containerStatuses.find((c) => c.name === KANIKO_CONTAINER_NAME) ?? containerStatuses[0];
      status.containerStatuses = kaniko === undefined ? [] : [kaniko.state !== undefined ? { name: kaniko.name, state: slimState(kaniko.state) } : { name: kaniko.name }];
    }
    out.status = status;
  }
  return out;
}
