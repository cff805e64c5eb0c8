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
