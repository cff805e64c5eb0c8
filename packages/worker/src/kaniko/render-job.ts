import type { V1ConfigMap, V1Job, V1OwnerReference, V1Toleration } from "@kubernetes/client-node";
import type { QueuedBuildInput, ResourcesInput } from "./build-input.js";
import { configMapNameForBuild } from "./job-name.js";
import {
  buildAnnotations,
  buildLabels,
  combineParts,
  contextPart,
  dockerfilePart,
  executorArgs,
  inlineConfigMap,
  jobLimits,
  jobRunPolicy,
  kanikoContainer,
  mergeResources,
  podSpec,
  registryCredentialsPart,
  renderPart,
  requestArgs,
  validJobName,
} from "./render-parts.js";

export {
  DEFAULT_PUSH_RETRY,
  DEFAULT_RETRIES,
  DEFAULT_RUN_SECONDS,
  DOCKER_CONFIG_DIR,
  INLINE_DOCKERFILE_DIR,
  WORKSPACE_DIR,
} from "./render-parts.js";

/**
 * PURE: renders the Kaniko Job (and, for inline files / an inline Dockerfile, the
 * ConfigMap it mounts) for one build. No IO, no clock, no randomness: the same
 * build renders the same objects, which is what makes "create again → 409 → adopt" safe.
 * Each decision is its own function in render-parts.ts; this only composes them.
 *
 * ConfigMap lifecycle (the caller's job, documented here because the order matters):
 *   1. create the ConfigMap (409 AlreadyExists → fine, it is ours: same deterministic name);
 *   2. create the Job (the pod cannot start before its ConfigMap exists, so create it first);
 *   3. patch the ConfigMap's ownerReferences with `ownerReferenceForJob(createdJob)` once the
 *      Job's uid is known, so the garbage collector deletes it with the Job (TTL or delete).
 */
export interface RenderOptions {
  namespace: string;
  /** Pinned by digest: upstream Kaniko is archived, use a maintained fork (e.g. osscontainertools). */
  executorImage: string;
  ttlSecondsAfterFinished: number;
  /** kaniko --push-retry; registry pushes flake. */
  pushRetry?: number;
  serviceAccountName?: string;
  defaultResources: ResourcesInput;
  nodeSelector?: Record<string, string>;
  tolerations?: V1Toleration[];
  /** Delivery attempt of the queue job that renders this Job (annotation only). */
  attempt?: number;
}

export interface RenderedBuild {
  job: V1Job;
  configMap?: V1ConfigMap;
}

/** The ownerReference to patch onto the inline-files ConfigMap once the Job exists (step 3 above). */
export function ownerReferenceForJob(job: V1Job): V1OwnerReference {
  const name = job.metadata?.name;
  const uid = job.metadata?.uid;
  if (name === undefined || uid === undefined) throw new RangeError("ownerReferenceForJob: the Job has no name/uid yet (use the created Job)");
  return { apiVersion: "batch/v1", kind: "Job", name, uid, controller: false, blockOwnerDeletion: false };
}

export function renderBuildJob(build: QueuedBuildInput, opts: RenderOptions): RenderedBuild {
  const { request } = build;
  const name = validJobName(build.buildId);
  const labels = buildLabels(build);
  const annotations = buildAnnotations(build, opts.attempt);
  const configMapName = configMapNameForBuild(build.buildId);

  const context = contextPart(request.context, configMapName);
  const parts = combineParts([
    context,
    dockerfilePart(request.dockerfile, context.dockerfileBase, configMapName),
    renderPart({ args: [...requestArgs(request), ...executorArgs(opts.pushRetry)] }),
    registryCredentialsPart(request.registryCredentials),
  ]);
  const container = kanikoContainer(opts.executorImage, parts, mergeResources(opts.defaultResources, request.resources));

  const job: V1Job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: opts.namespace, labels, annotations },
    spec: {
      ...jobLimits(request, opts.ttlSecondsAfterFinished),
      ...jobRunPolicy(),
      template: {
        metadata: { labels: { ...labels }, annotations: { ...annotations } },
        spec: podSpec(container, parts.volumes, opts),
      },
    },
  };
  const configMap = inlineConfigMap({ name: configMapName, namespace: opts.namespace, labels, annotations }, parts.configMapData);
  return configMap === undefined ? { job } : { job, configMap };
}
