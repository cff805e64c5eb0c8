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
 * What the tracker keeps of an object: the fields above and nothing else.
 * A Kaniko Job or Pod as the API server sends it is mostly spec (the pod
 * template: args, volumes, resources) that status derivation never reads;
 * holding only this projection keeps memory per in-flight build small and
 * leaves the full object as short-lived garbage.
 */
const OWN_PREFIX = "buildfleet.dev/";

function slimStrings(map: Record<string, string> | undefined, keep: (key: string) => boolean): Record<string, string> | undefined {
  if (map === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const key of Object.keys(map)) if (keep(key)) out[key] = map[key] as string;
  return out;
}

function slimMeta(m: ObjectMetaLike | undefined): ObjectMetaLike | undefined {
  if (m === undefined) return undefined;
  const out: ObjectMetaLike = {};
  if (m.name !== undefined) out.name = m.name;
  if (m.namespace !== undefined) out.namespace = m.namespace;
  if (m.uid !== undefined) out.uid = m.uid;
  if (m.resourceVersion !== undefined) out.resourceVersion = m.resourceVersion;
  if (m.creationTimestamp !== undefined) out.creationTimestamp = m.creationTimestamp;
  if (m.deletionTimestamp !== undefined) out.deletionTimestamp = m.deletionTimestamp;
  // Our own labels and annotations (build id, tenant, attempt); kubectl's last-applied and the like go.
  const labels = slimStrings(m.labels, (k) => k.startsWith(OWN_PREFIX) || k === "app.kubernetes.io/managed-by");
  if (labels !== undefined) out.labels = labels;
  const annotations = slimStrings(m.annotations, (k) => k.startsWith(OWN_PREFIX));
  if (annotations !== undefined) out.annotations = annotations;
  if (m.ownerReferences !== undefined) {
    out.ownerReferences = m.ownerReferences.map((o) => ({
      ...(o.uid !== undefined ? { uid: o.uid } : {}),
      ...(o.kind !== undefined ? { kind: o.kind } : {}),
      ...(o.name !== undefined ? { name: o.name } : {}),
    }));
  }
  return out;
}

export function slimJob(job: JobLike): JobLike {
  const out: JobLike = {};
  const metadata = slimMeta(job.metadata);
  if (metadata !== undefined) out.metadata = metadata;
  if (job.spec !== undefined) {
    out.spec = {
      ...(job.spec.backoffLimit !== undefined ? { backoffLimit: job.spec.backoffLimit } : {}),
      ...(job.spec.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: job.spec.activeDeadlineSeconds } : {}),
    };
  }
  if (job.status !== undefined) {
    const { conditions, active, ready, succeeded, failed, startTime, completionTime } = job.status;
    out.status = {
      ...(conditions !== undefined ? { conditions } : {}),
      ...(active !== undefined ? { active } : {}),
      ...(ready !== undefined ? { ready } : {}),
      ...(succeeded !== undefined ? { succeeded } : {}),
      ...(failed !== undefined ? { failed } : {}),
      ...(startTime !== undefined ? { startTime } : {}),
      ...(completionTime !== undefined ? { completionTime } : {}),
    };
  }
  return out;
}

export function slimPod(pod: PodLike): PodLike {
  const out: PodLike = {};
  const metadata = slimMeta(pod.metadata);
  if (metadata !== undefined) out.metadata = metadata;
  if (pod.status !== undefined) {
    const { phase, reason, message, startTime, conditions, containerStatuses } = pod.status;
    out.status = {
      ...(phase !== undefined ? { phase } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(message !== undefined ? { message } : {}),
      ...(startTime !== undefined ? { startTime } : {}),
      ...(conditions !== undefined ? { conditions } : {}),
      ...(containerStatuses !== undefined
        ? {
            containerStatuses: containerStatuses.map((c) => ({
              name: c.name,
              ...(c.state !== undefined ? { state: c.state } : {}),
              ...(c.lastState !== undefined ? { lastState: c.lastState } : {}),
            })),
          }
        : {}),
    };
  }
  return out;
}
