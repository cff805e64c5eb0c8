import type { JobsOptions } from "bullmq";
import type { QueuedBuild } from "../contract/index.js";
import { lanePriority } from "../admission/lane-priority.js";

/** BullMQ job name of a build request. */
export const BUILD_JOB_NAME = "build";

/**
 * Options for adding a build to the queue. The job id is the build id, so a
 * repeated add of the same build is a no-op in BullMQ. `attempts`/`backoff`
 * retry only infrastructure failures (Kubernetes API or Redis unreachable):
 * build failures are retried by the Job's backoffLimit, never here, so the
 * two layers do not multiply.
 */
export function buildJobOptions(build: QueuedBuild, priority?: number): JobsOptions {
  return {
    jobId: build.buildId,
    // The lane's band; `priority` (from FairShare) adds the tenant's fair-share tag inside it.
    priority: priority ?? lanePriority(build.request.priority),
    attempts: 5,
    backoff: { type: "exponential", delay: 2_000 },
    // The build record in Redis is the durable result; queue entries are only
    // kept long enough for operators to inspect recent jobs.
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  };
}
