import type {
  V1ConfigMap,
  V1Container,
  V1EnvVar,
  V1JobSpec,
  V1KeyToPath,
  V1PodSpec,
  V1ResourceRequirements,
  V1SecurityContext,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import type { BuildContextInput, BuildRequestInput, DockerfileInput, QueuedBuildInput, ResourcesInput } from "./build-input.js";
import { isDns1123Label, jobNameForBuild, toLabelValue } from "./job-name.js";
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
 * PURE: the decisions renderBuildJob (render-job.ts) composes, one function each:
 * names, labels and annotations; kaniko's arguments per context kind; volumes and
 * mounts; security; resources; the Job spec. No IO, no clock, no randomness.
 */

export const DEFAULT_PUSH_RETRY = 3;
export const DEFAULT_RUN_SECONDS = 3600;
export const DEFAULT_RETRIES = 2;
export const WORKSPACE_DIR = "/workspace";
export const DOCKER_CONFIG_DIR = "/kaniko/.docker";
/** Under /kaniko so kaniko never snapshots it into the image. */
export const INLINE_DOCKERFILE_DIR = "/kaniko/buildfleet";
const DOCKERFILE_KEY = "dockerfile";
const TERMINATION_LOG = "/dev/termination-log";

// ---- paths and ordering ----------------------------------------------------------

function cleanRelative(p: string): string {
  return p.replace(/^\.\/+/, "").replace(/^\/+/, "").replace(/\/+$/, "");
}

/** Joins path parts as a relative path: leading `./` and `/`, trailing `/` and `.` parts dropped. */
export function joinPath(...parts: string[]): string {
  return parts
    .map(cleanRelative)
    .filter((p) => p !== "" && p !== ".")
    .join("/");
}

/** Entries sorted by key (code-unit order), so maps render the same whatever order they came in. */
export function sortedEntries(record: Record<string, string> | undefined): [string, string][] {
  return Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

// ---- names, labels, annotations --------------------------------------------------

/** The Job's deterministic name; a name that is not a DNS-1123 label is refused. */
export function validJobName(buildId: string): string {
  const name = jobNameForBuild(buildId);
  if (!isDns1123Label(name)) throw new RangeError(`rendered Job name is not a DNS-1123 label: ${name}`);
  return name;
}

/** Selectable labels: label-safe forms of the build id and tenant. */
export function buildLabels(build: Pick<QueuedBuildInput, "buildId" | "tenant">): Record<string, string> {
  return {
    [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
    [LABEL_NAME]: NAME_VALUE,
    [LABEL_BUILD_ID]: toLabelValue(build.buildId),
    [LABEL_TENANT]: toLabelValue(build.tenant),
  };
}

/** Annotations: the build id and tenant verbatim, the delivery attempt and the priority. */
export function buildAnnotations(build: QueuedBuildInput, attempt: number | undefined): Record<string, string> {
  return {
    [ANNOTATION_BUILD_ID]: build.buildId,
    [ANNOTATION_TENANT]: build.tenant,
    [ANNOTATION_ATTEMPT]: String(attempt ?? 1),
    [ANNOTATION_PRIORITY]: build.request.priority ?? "normal",
  };
}

// ---- arguments, env, volumes and mounts, as parts --------------------------------

/** What one decision adds to the pod: kaniko arguments, env, volumes, mounts, ConfigMap keys. */
export interface RenderPart {
  args: string[];
  env: V1EnvVar[];
  volumes: V1Volume[];
  mounts: V1VolumeMount[];
  configMapData: Record<string, string>;
}

export function renderPart(part: Partial<RenderPart>): RenderPart {
  return { args: [], env: [], volumes: [], mounts: [], configMapData: {}, ...part };
}

/** Concatenates parts in order (arguments, volumes and mounts keep the order of the parts). */
export function combineParts(parts: RenderPart[]): RenderPart {
  return parts.reduce(
    (all, p) => ({
      args: [...all.args, ...p.args],
      env: [...all.env, ...p.env],
      volumes: [...all.volumes, ...p.volumes],
      mounts: [...all.mounts, ...p.mounts],
      configMapData: { ...all.configMapData, ...p.configMapData },
    }),
    renderPart({}),
  );
}

/** A context part also says where a relative Dockerfile path is resolved from (directory contexts only). */
export interface ContextPart extends RenderPart {
  dockerfileBase?: string;
}

type ContextOf<T extends BuildContextInput["type"]> = Extract<BuildContextInput, { type: T }>;

/** volume: the PVC read-only at /workspace, `dir://` at the sub-directory. */
export function volumeContextPart(ctx: ContextOf<"volume">): ContextPart {
  const dir = `${WORKSPACE_DIR}/${joinPath(ctx.path)}`.replace(/\/$/, "");
  return {
    ...renderPart({
      args: [`--context=dir://${dir}`],
      volumes: [{ name: "context", persistentVolumeClaim: { claimName: ctx.claimName, readOnly: true } }],
      mounts: [{ name: "context", mountPath: WORKSPACE_DIR, readOnly: true }],
    }),
    dockerfileBase: dir,
  };
}

/** inline: files in the build's ConfigMap, mounted at /workspace at their paths. */
export function inlineContextPart(ctx: ContextOf<"inline">, configMapName: string): ContextPart {
  // ConfigMap keys cannot contain '/', so files get opaque keys and `items` put them at their paths.
  const configMapData: Record<string, string> = {};
  const items: V1KeyToPath[] = [];
  sortedEntries(ctx.files).forEach(([path, content], i) => {
    const key = `file-${i}`;
    configMapData[key] = content;
    items.push({ key, path: joinPath(path) });
  });
  return {
    ...renderPart({
      args: [`--context=dir://${WORKSPACE_DIR}`],
      volumes: [{ name: "context", configMap: { name: configMapName, items } }],
      mounts: [{ name: "context", mountPath: WORKSPACE_DIR, readOnly: true }],
      configMapData,
    }),
    dockerfileBase: WORKSPACE_DIR,
  };
}

/** kaniko's git context: `git://host/repo.git#<ref>[#<commit>]`; it clones over https unless GIT_PULL_METHOD=http. */
export function gitContextPart(ctx: ContextOf<"git">): ContextPart {
  const match = /^(https?|git):\/\/(.+)$/.exec(ctx.url);
  if (match === null) throw new RangeError(`unsupported git url scheme: ${ctx.url}`);
  const scheme = match[1] ?? "";
  const rest = match[2] ?? "";
  // A bare branch name is not a ref go-git can clone; tags must be given as refs/tags/<t>.
  const ref = ctx.ref === undefined ? undefined : ctx.ref.startsWith("refs/") ? ctx.ref : `refs/heads/${ctx.ref}`;
  const fragment = [ref, ctx.commit].filter((s): s is string => s !== undefined).join("#");
  const subPath = ctx.subPath === undefined ? "" : joinPath(ctx.subPath);
  return renderPart({
    args: [`--context=git://${rest}${fragment === "" ? "" : `#${fragment}`}`, ...(subPath !== "" ? [`--context-sub-path=${subPath}`] : [])],
    env: scheme === "http" ? [{ name: "GIT_PULL_METHOD", value: "http" }] : [],
  });
}

/** tarball: kaniko fetches s3://, gs:// and https:// tarballs itself. */
export function tarballContextPart(ctx: ContextOf<"tarball">): ContextPart {
  return renderPart({ args: [`--context=${ctx.url}`] });
}

export function contextPart(ctx: BuildContextInput, configMapName: string): ContextPart {
  switch (ctx.type) {
    case "volume":
      return volumeContextPart(ctx);
    case "inline":
      return inlineContextPart(ctx, configMapName);
    case "git":
      return gitContextPart(ctx);
    case "tarball":
      return tarballContextPart(ctx);
  }
}

/** `--dockerfile`: an inline Dockerfile is a ConfigMap key mounted outside the context; a path is resolved in it. */
export function dockerfilePart(dockerfile: DockerfileInput | undefined, dockerfileBase: string | undefined, configMapName: string): RenderPart {
  const given = dockerfile ?? { path: "Dockerfile" };
  if ("inline" in given) {
    return renderPart({
      args: [`--dockerfile=${INLINE_DOCKERFILE_DIR}/Dockerfile`],
      volumes: [{ name: "dockerfile", configMap: { name: configMapName, items: [{ key: DOCKERFILE_KEY, path: "Dockerfile" }] } }],
      mounts: [{ name: "dockerfile", mountPath: INLINE_DOCKERFILE_DIR, readOnly: true }],
      configMapData: { [DOCKERFILE_KEY]: given.inline },
    });
  }
  // Directory contexts get an absolute path; for fetched contexts kaniko resolves it inside the context.
  const rel = joinPath(given.path);
  return renderPart({ args: [`--dockerfile=${dockerfileBase === undefined ? rel : `${dockerfileBase}/${rel}`}`] });
}

/** `--cache*`: only when the request enables the cache. */
export function cacheArgs(cache: BuildRequestInput["cache"]): string[] {
  if (cache?.enabled !== true) return [];
  return [
    "--cache=true",
    ...(cache.repository !== undefined ? [`--cache-repo=${cache.repository}`] : []),
    ...(cache.ttl !== undefined ? [`--cache-ttl=${cache.ttl}`] : []),
  ];
}

/** One flag per destination, build arg and label (sorted), the target, the cache: a list, never shell-joined. */
export function requestArgs(request: BuildRequestInput): string[] {
  return [
    ...request.destinations.map((d) => `--destination=${d}`),
    ...sortedEntries(request.buildArgs).map(([k, v]) => `--build-arg=${k}=${v}`),
    ...(request.target !== undefined ? [`--target=${request.target}`] : []),
    ...sortedEntries(request.imageLabels).map(([k, v]) => `--label=${k}=${v}`),
    ...cacheArgs(request.cache),
  ];
}

/** The flags every build gets. */
export function executorArgs(pushRetry: number | undefined): string[] {
  return [
    `--push-retry=${pushRetry ?? DEFAULT_PUSH_RETRY}`,
    // Both keep kaniko's memory down during snapshots (kaniko#1680, #909).
    "--snapshot-mode=redo",
    "--compressed-caching=false",
    // ALWAYS: the digest comes back as the container's terminated.message; no digest = failed build.
    `--digest-file=${TERMINATION_LOG}`,
  ];
}

/** The registry Secret as /kaniko/.docker/config.json, when the request names one. */
export function registryCredentialsPart(credentials: BuildRequestInput["registryCredentials"]): RenderPart {
  if (credentials === undefined) return renderPart({});
  return renderPart({
    volumes: [{ name: "docker-config", secret: { secretName: credentials.secretName, items: [{ key: ".dockerconfigjson", path: "config.json" }] } }],
    mounts: [{ name: "docker-config", mountPath: DOCKER_CONFIG_DIR, readOnly: true }],
  });
}

// ---- resources and security ------------------------------------------------------

/** The request's cpu/memory over the defaults, field by field; empty lists are left out. */
export function mergeResources(defaults: ResourcesInput, request: ResourcesInput | undefined): V1ResourceRequirements {
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

/** kaniko needs root inside its container but never privilege or escalation. */
export function kanikoSecurityContext(): V1SecurityContext {
  return { privileged: false, allowPrivilegeEscalation: false };
}

/** The pod gets no service account token and no service-link env. */
export function podSecurity(): Pick<V1PodSpec, "automountServiceAccountToken" | "enableServiceLinks"> {
  return { automountServiceAccountToken: false, enableServiceLinks: false };
}

// ---- container, pod, Job, ConfigMap ----------------------------------------------

export function kanikoContainer(image: string, part: RenderPart, resources: V1ResourceRequirements): V1Container {
  return {
    name: KANIKO_CONTAINER_NAME,
    image,
    // Arguments as a list, exec'd by the runtime: nothing here ever goes through a shell.
    args: part.args,
    resources,
    securityContext: kanikoSecurityContext(),
    terminationMessagePath: TERMINATION_LOG,
    // Kaniko writes the digest file only on success; on failure the kubelet puts the log tail there instead.
    terminationMessagePolicy: "FallbackToLogsOnError",
    ...(part.env.length > 0 ? { env: part.env } : {}),
    ...(part.mounts.length > 0 ? { volumeMounts: part.mounts } : {}),
  };
}

export interface Placement {
  serviceAccountName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: V1Toleration[];
}

/** Service account, node selector and tolerations, each only when configured (copied, never shared). */
export function placement(opts: Placement): Placement {
  return {
    ...(opts.serviceAccountName !== undefined ? { serviceAccountName: opts.serviceAccountName } : {}),
    ...(opts.nodeSelector !== undefined ? { nodeSelector: { ...opts.nodeSelector } } : {}),
    ...(opts.tolerations !== undefined ? { tolerations: opts.tolerations.map((t) => ({ ...t })) } : {}),
  };
}

export function podSpec(container: V1Container, volumes: V1Volume[], where: Placement): V1PodSpec {
  return {
    // podFailurePolicy requires Never; one kaniko run per pod (kaniko#2793).
    restartPolicy: "Never",
    ...podSecurity(),
    containers: [container],
    ...(volumes.length > 0 ? { volumes } : {}),
    ...placement(where),
  };
}

/** Retries, deadline and ttl: the request's, else the contract defaults. */
export function jobLimits(
  request: Pick<BuildRequestInput, "retries" | "timeouts">,
  ttlSecondsAfterFinished: number,
): Pick<V1JobSpec, "backoffLimit" | "activeDeadlineSeconds" | "ttlSecondsAfterFinished"> {
  return {
    backoffLimit: request.retries ?? DEFAULT_RETRIES,
    activeDeadlineSeconds: request.timeouts?.runSeconds ?? DEFAULT_RUN_SECONDS,
    ttlSecondsAfterFinished,
  };
}

/** One pod at a time, and evictions and node drains must not eat the build's retries. */
export function jobRunPolicy(): Pick<V1JobSpec, "completions" | "parallelism" | "podFailurePolicy"> {
  return {
    completions: 1,
    parallelism: 1,
    podFailurePolicy: { rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }] },
  };
}

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** The ConfigMap for inline files / an inline Dockerfile; none when there is no data. */
export function inlineConfigMap(meta: ObjectMeta, data: Record<string, string>): V1ConfigMap | undefined {
  if (Object.keys(data).length === 0) return undefined;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: meta.name, namespace: meta.namespace, labels: { ...meta.labels }, annotations: { ...meta.annotations } },
    data,
  };
}
