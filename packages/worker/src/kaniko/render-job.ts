import type {
  V1ConfigMap,
  V1Container,
  V1Job,
  V1KeyToPath,
  V1OwnerReference,
  V1ResourceRequirements,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import type { BuildContextInput, QueuedBuildInput, ResourcesInput } from "./build-input.js";
import { configMapNameForBuild, isDns1123Label, jobNameForBuild, toLabelValue } from "./job-name.js";
import {
  ANNOTATION_ATTEMPT,
  ANNOTATION_BUILD_ID,
  ANNOTATION_PRIORITY,
  ANNOTATION_TENANT,
  KANIKO_CONTAINER_NAME,
  LABEL_BUILD_ID,
  LABEL_MANAGED_BY,
  LABEL_NAME,
  LABEL_TENANT,
  MANAGED_BY_VALUE,
  NAME_VALUE,
} from "./labels.js";

/**
 * PURE: renders the Kaniko Job (and, for inline files / an inline Dockerfile, the
 * ConfigMap it mounts) for one build. No IO, no clock, no randomness: the same
 * build renders the same objects, which is what makes "create again → 409 → adopt" safe.
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

export const DEFAULT_PUSH_RETRY = 3;
export const DEFAULT_RUN_SECONDS = 3600;
export const DEFAULT_RETRIES = 2;
export const WORKSPACE_DIR = "/workspace";
export const DOCKER_CONFIG_DIR = "/kaniko/.docker";
/** Under /kaniko so kaniko never snapshots it into the image. */
export const INLINE_DOCKERFILE_DIR = "/kaniko/buildfleet";
const DOCKERFILE_KEY = "dockerfile";

function cleanRelative(p: string): string {
  return p.replace(/^\.\/+/, "").replace(/^\/+/, "").replace(/\/+$/, "");
}

function joinPath(...parts: string[]): string {
  return parts
    .map(cleanRelative)
    .filter((p) => p !== "" && p !== ".")
    .join("/");
}

/** kaniko's git context: `git://host/repo.git#<ref>[#<commit>]`; it clones over https unless GIT_PULL_METHOD=http. */
function gitContext(ctx: Extract<BuildContextInput, { type: "git" }>): { context: string; env: { name: string; value: string }[] } {
  const match = /^(https?|git):\/\/(.+)$/.exec(ctx.url);
  if (match === null) throw new RangeError(`unsupported git url scheme: ${ctx.url}`);
  const scheme = match[1] ?? "";
  const rest = match[2] ?? "";
  // A bare branch name is not a ref go-git can clone; tags must be given as refs/tags/<t>.
  const ref = ctx.ref === undefined ? undefined : ctx.ref.startsWith("refs/") ? ctx.ref : `refs/heads/${ctx.ref}`;
  const fragment = [ref, ctx.commit].filter((s): s is string => s !== undefined).join("#");
  return {
    context: `git://${rest}${fragment === "" ? "" : `#${fragment}`}`,
    env: scheme === "http" ? [{ name: "GIT_PULL_METHOD", value: "http" }] : [],
  };
}

function mergeResources(defaults: ResourcesInput, request: ResourcesInput | undefined): V1ResourceRequirements {
  const out: V1ResourceRequirements = {};
  for (const kind of ["requests", "limits"] as const) {
    const merged = { ...defaults[kind], ...request?.[kind] };
    const list: Record<string, string> = {};
    if (merged.cpu !== undefined) list.cpu = merged.cpu;
    if (merged.memory !== undefined) list.memory = merged.memory;
    if (Object.keys(list).length > 0) out[kind] = list;
  }
  return out;
}

function sortedEntries(record: Record<string, string> | undefined): [string, string][] {
  return Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
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
  const jobName = jobNameForBuild(build.buildId);
  if (!isDns1123Label(jobName)) throw new RangeError(`rendered Job name is not a DNS-1123 label: ${jobName}`);

  const labels: Record<string, string> = {
    [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
    [LABEL_NAME]: NAME_VALUE,
    [LABEL_BUILD_ID]: toLabelValue(build.buildId),
    [LABEL_TENANT]: toLabelValue(build.tenant),
  };
  const annotations: Record<string, string> = {
    [ANNOTATION_BUILD_ID]: build.buildId,
    [ANNOTATION_TENANT]: build.tenant,
    [ANNOTATION_ATTEMPT]: String(opts.attempt ?? 1),
    [ANNOTATION_PRIORITY]: request.priority ?? "normal",
  };

  const volumes: V1Volume[] = [];
  const mounts: V1VolumeMount[] = [];
  const env: { name: string; value: string }[] = [];
  const configMapData: Record<string, string> = {};
  const configMapName = configMapNameForBuild(build.buildId);
  const args: string[] = [];

  // --context, and where a relative Dockerfile path is resolved from.
  let dockerfileBase: string | undefined;
  const ctx = request.context;
  switch (ctx.type) {
    case "volume": {
      volumes.push({ name: "context", persistentVolumeClaim: { claimName: ctx.claimName, readOnly: true } });
      mounts.push({ name: "context", mountPath: WORKSPACE_DIR, readOnly: true });
      dockerfileBase = `${WORKSPACE_DIR}/${joinPath(ctx.path)}`.replace(/\/$/, "");
      args.push(`--context=dir://${dockerfileBase}`);
      break;
    }
    case "inline": {
      // ConfigMap keys cannot contain '/', so files get opaque keys and `items` put them at their paths.
      const items: V1KeyToPath[] = [];
      sortedEntries(ctx.files).forEach(([path, content], i) => {
        const key = `file-${i}`;
        configMapData[key] = content;
        items.push({ key, path: joinPath(path) });
      });
      volumes.push({ name: "context", configMap: { name: configMapName, items } });
      mounts.push({ name: "context", mountPath: WORKSPACE_DIR, readOnly: true });
      dockerfileBase = WORKSPACE_DIR;
      args.push(`--context=dir://${WORKSPACE_DIR}`);
      break;
    }
    case "git": {
      const git = gitContext(ctx);
      env.push(...git.env);
      args.push(`--context=${git.context}`);
      if (ctx.subPath !== undefined && joinPath(ctx.subPath) !== "") args.push(`--context-sub-path=${joinPath(ctx.subPath)}`);
      break;
    }
    case "tarball":
      // kaniko fetches s3://, gs:// and https:// tarballs itself.
      args.push(`--context=${ctx.url}`);
      break;
  }

  const dockerfile = request.dockerfile ?? { path: "Dockerfile" };
  if ("inline" in dockerfile) {
    configMapData[DOCKERFILE_KEY] = dockerfile.inline;
    volumes.push({ name: "dockerfile", configMap: { name: configMapName, items: [{ key: DOCKERFILE_KEY, path: "Dockerfile" }] } });
    mounts.push({ name: "dockerfile", mountPath: INLINE_DOCKERFILE_DIR, readOnly: true });
    args.push(`--dockerfile=${INLINE_DOCKERFILE_DIR}/Dockerfile`);
  } else {
    // Directory contexts get an absolute path; for fetched contexts kaniko resolves it inside the context.
    const rel = joinPath(dockerfile.path);
    args.push(`--dockerfile=${dockerfileBase === undefined ? rel : `${dockerfileBase}/${rel}`}`);
  }

  for (const destination of request.destinations) args.push(`--destination=${destination}`);
  for (const [k, v] of sortedEntries(request.buildArgs)) args.push(`--build-arg=${k}=${v}`);
  if (request.target !== undefined) args.push(`--target=${request.target}`);
  for (const [k, v] of sortedEntries(request.imageLabels)) args.push(`--label=${k}=${v}`);
  if (request.cache?.enabled === true) {
    args.push("--cache=true");
    if (request.cache.repository !== undefined) args.push(`--cache-repo=${request.cache.repository}`);
    if (request.cache.ttl !== undefined) args.push(`--cache-ttl=${request.cache.ttl}`);
  }
  args.push(
    `--push-retry=${opts.pushRetry ?? DEFAULT_PUSH_RETRY}`,
    // Both keep kaniko's memory down during snapshots (kaniko#1680, #909).
    "--snapshot-mode=redo",
    "--compressed-caching=false",
    // ALWAYS: the digest comes back as the container's terminated.message; no digest = failed build.
    "--digest-file=/dev/termination-log",
  );

  if (request.registryCredentials !== undefined) {
    volumes.push({
      name: "docker-config",
      secret: { secretName: request.registryCredentials.secretName, items: [{ key: ".dockerconfigjson", path: "config.json" }] },
    });
    mounts.push({ name: "docker-config", mountPath: DOCKER_CONFIG_DIR, readOnly: true });
  }

  const container: V1Container = {
    name: KANIKO_CONTAINER_NAME,
    image: opts.executorImage,
    // Arguments as a list, exec'd by the runtime: nothing here ever goes through a shell.
    args,
    resources: mergeResources(opts.defaultResources, request.resources),
    // kaniko needs root inside its container but never privilege or escalation.
    securityContext: { privileged: false, allowPrivilegeEscalation: false },
    terminationMessagePath: "/dev/termination-log",
    // Kaniko writes the digest file only on success; on failure the kubelet puts the log tail there instead.
    terminationMessagePolicy: "FallbackToLogsOnError",
  };
  if (env.length > 0) container.env = env;
  if (mounts.length > 0) container.volumeMounts = mounts;

  const job: V1Job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: jobName, namespace: opts.namespace, labels, annotations },
    spec: {
      backoffLimit: request.retries ?? DEFAULT_RETRIES,
      activeDeadlineSeconds: request.timeouts?.runSeconds ?? DEFAULT_RUN_SECONDS,
      ttlSecondsAfterFinished: opts.ttlSecondsAfterFinished,
      completions: 1,
      parallelism: 1,
      // Evictions and node drains must not eat the build's retries.
      podFailurePolicy: {
        rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }],
      },
      template: {
        metadata: { labels: { ...labels }, annotations: { ...annotations } },
        spec: {
          // podFailurePolicy requires Never; one kaniko run per pod (kaniko#2793).
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          containers: [container],
          ...(volumes.length > 0 ? { volumes } : {}),
          ...(opts.serviceAccountName !== undefined ? { serviceAccountName: opts.serviceAccountName } : {}),
          ...(opts.nodeSelector !== undefined ? { nodeSelector: { ...opts.nodeSelector } } : {}),
          ...(opts.tolerations !== undefined ? { tolerations: opts.tolerations.map((t) => ({ ...t })) } : {}),
        },
      },
    },
  };

  if (Object.keys(configMapData).length === 0) return { job };
  const configMap: V1ConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: configMapName, namespace: opts.namespace, labels: { ...labels }, annotations: { ...annotations } },
    data: configMapData,
  };
  return { job, configMap };
}
