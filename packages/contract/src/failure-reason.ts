import { z } from "zod";

/** Why a build failed: one code per class of failure a person would handle differently. */
export const FAILURE_REASONS = [
  /** Every attempt allowed by `retries` failed. */
  "BackoffLimitExceeded",
  /** The run timeout (Job activeDeadlineSeconds) passed. */
  "DeadlineExceeded",
  /** A pod failure policy rule failed the Job without further retries. */
  "PodFailurePolicy",
  /** Kaniko exited 0 but reported no image digest: the push cannot be trusted. */
  "DigestMissing",
  "OOMKilled",
  /** No node could take the build pod (resources, taints, quota). */
  "Unschedulable",
  /** The kaniko executor image could not be pulled. */
  "ImagePullBackOff",
  /** No build pod started within the queue timeout. */
  "QueueTimeout",
  /** The request was refused when the worker checked it again. */
  "InvalidRequest",
  /** The Kubernetes Job disappeared before its outcome was recorded. */
  "JobDeleted",
  /** The Kubernetes API server refused the worker (401/403: a missing RBAC rule or a bad credential); retrying cannot help. */
  "PermissionDenied",
  /** Redis, the Kubernetes API or the cluster failed in a way retries did not fix. */
  "InfrastructureError",
] as const;
export const FailureReason = z.enum(FAILURE_REASONS);
export type FailureReason = z.infer<typeof FailureReason>;
