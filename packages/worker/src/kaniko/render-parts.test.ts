import { describe, expect, it } from "vitest";
import type { QueuedBuildInput } from "./build-input.js";
import {
  buildAnnotations,
  buildLabels,
  cacheArgs,
  combineParts,
  contextPart,
  dockerfilePart,
  executorArgs,
  gitContextPart,
  inlineConfigMap,
  inlineContextPart,
  jobLimits,
  jobRunPolicy,
  joinPath,
  kanikoContainer,
  kanikoSecurityContext,
  mergeResources,
  placement,
  podSecurity,
  podSpec,
  registryCredentialsPart,
  renderPart,
  requestArgs,
  sortedEntries,
  tarballContextPart,
  validJobName,
  volumeContextPart,
} from "./render-parts.js";

const BUILD_ID = "01jd3k8q9v7x2m4n6p8r0t2w4y";
const CM = "bf-cm";

function queued(extra: Partial<QueuedBuildInput["request"]> = {}, tenant = "acme"): QueuedBuildInput {
  return { buildId: BUILD_ID, tenant, request: { context: { type: "tarball", url: "s3://b/c.tgz" }, destinations: ["r/a:1"], ...extra } };
}

describe("paths and ordering", () => {
  it("joinPath drops ./, leading and trailing slashes and empty or '.' parts", () => {
    expect(joinPath("./a/", "/b", "", ".", "c/")).toBe("a/b/c");
    expect(joinPath("./")).toBe("");
    expect(joinPath(".")).toBe("");
  });

  it("sortedEntries sorts by key and treats undefined as empty", () => {
    expect(sortedEntries({ b: "2", B: "3", a: "1" })).toEqual([
      ["B", "3"],
      ["a", "1"],
      ["b", "2"],
    ]);
    expect(sortedEntries(undefined)).toEqual([]);
  });
});

describe("names, labels, annotations", () => {
  it("validJobName is a DNS-1123 label derived from the build id", () => {
    const name = validJobName(BUILD_ID);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(validJobName(BUILD_ID)).toBe(name);
  });

  it("buildLabels carries label-safe build id and tenant", () => {
    const labels = buildLabels({ buildId: BUILD_ID, tenant: "Team One!" });
    expect(Object.keys(labels)).toHaveLength(4);
    for (const v of Object.values(labels)) expect(v).toMatch(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/);
    expect(Object.values(labels)).toContain(BUILD_ID);
  });

  it("buildAnnotations keeps build id and tenant verbatim, defaults attempt 1 and priority normal", () => {
    expect(Object.values(buildAnnotations(queued({}, "Team One!"), undefined))).toEqual([BUILD_ID, "Team One!", "1", "normal"]);
    expect(Object.values(buildAnnotations(queued({ priority: "high" }), 3))).toEqual([BUILD_ID, "acme", "3", "high"]);
  });
});

describe("parts", () => {
  it("combineParts concatenates in order and merges ConfigMap data", () => {
    const all = combineParts([
      renderPart({ args: ["a"], volumes: [{ name: "v1" }], mounts: [{ name: "v1", mountPath: "/1" }], configMapData: { k1: "1" } }),
      renderPart({ args: ["b"], env: [{ name: "E", value: "x" }], volumes: [{ name: "v2" }], configMapData: { k2: "2" } }),
    ]);
    expect(all).toEqual({
      args: ["a", "b"],
      env: [{ name: "E", value: "x" }],
      volumes: [{ name: "v1" }, { name: "v2" }],
      mounts: [{ name: "v1", mountPath: "/1" }],
      configMapData: { k1: "1", k2: "2" },
    });
    expect(combineParts([])).toEqual(renderPart({}));
  });
});

describe("context kinds", () => {
  it("volume: PVC read-only at /workspace, dir:// at the sub-directory, which is the Dockerfile base", () => {
    const p = volumeContextPart({ type: "volume", claimName: "ws", path: "./my/build/" });
    expect(p.args).toEqual(["--context=dir:///workspace/my/build"]);
    expect(p.volumes).toEqual([{ name: "context", persistentVolumeClaim: { claimName: "ws", readOnly: true } }]);
    expect(p.mounts).toEqual([{ name: "context", mountPath: "/workspace", readOnly: true }]);
    expect(p.dockerfileBase).toBe("/workspace/my/build");
    expect(volumeContextPart({ type: "volume", claimName: "ws", path: "." }).dockerfileBase).toBe("/workspace");
  });

  it("inline: files sorted into opaque keys, mounted at their cleaned paths", () => {
    const p = inlineContextPart({ type: "inline", files: { "src/b.txt": "B", "./a.txt": "A" } }, CM);
    expect(p.configMapData).toEqual({ "file-0": "A", "file-1": "B" });
    expect(p.volumes).toEqual([
      {
        name: "context",
        configMap: {
          name: CM,
          items: [
            { key: "file-0", path: "a.txt" },
            { key: "file-1", path: "src/b.txt" },
          ],
        },
      },
    ]);
    expect(p.args).toEqual(["--context=dir:///workspace"]);
    expect(p.dockerfileBase).toBe("/workspace");
  });

  it("git: refs/heads/ for a branch, refs/ kept, commit appended, sub-path flag only when non-empty", () => {
    expect(gitContextPart({ type: "git", url: "https://h/r.git", ref: "main", commit: "c1", subPath: "/app/" }).args).toEqual([
      "--context=git://h/r.git#refs/heads/main#c1",
      "--context-sub-path=app",
    ]);
    expect(gitContextPart({ type: "git", url: "git://h/r.git", ref: "refs/tags/v1", subPath: "." }).args).toEqual(["--context=git://h/r.git#refs/tags/v1"]);
    expect(gitContextPart({ type: "git", url: "https://h/r.git" }).args).toEqual(["--context=git://h/r.git"]);
  });

  it("git: http:// sets GIT_PULL_METHOD=http, https does not; other schemes are refused", () => {
    expect(gitContextPart({ type: "git", url: "http://h/r.git" }).env).toEqual([{ name: "GIT_PULL_METHOD", value: "http" }]);
    expect(gitContextPart({ type: "git", url: "https://h/r.git" }).env).toEqual([]);
    expect(() => gitContextPart({ type: "git", url: "ssh://h/r.git" })).toThrow(RangeError);
    expect(gitContextPart({ type: "git", url: "https://h/r.git" }).dockerfileBase).toBeUndefined();
  });

  it("tarball: the URL as the context, nothing mounted", () => {
    expect(tarballContextPart({ type: "tarball", url: "gs://b/c.tgz" })).toEqual(renderPart({ args: ["--context=gs://b/c.tgz"] }));
  });

  it("contextPart dispatches on the kind", () => {
    expect(contextPart({ type: "tarball", url: "s3://x" }, CM).args).toEqual(["--context=s3://x"]);
    expect(contextPart({ type: "inline", files: {} }, CM).volumes[0]?.configMap?.name).toBe(CM);
  });
});

describe("the Dockerfile", () => {
  it("inline: a ConfigMap key mounted under /kaniko/buildfleet", () => {
    const p = dockerfilePart({ inline: "FROM x" }, "/workspace", CM);
    expect(p.args).toEqual(["--dockerfile=/kaniko/buildfleet/Dockerfile"]);
    expect(p.configMapData).toEqual({ dockerfile: "FROM x" });
    expect(p.volumes).toEqual([{ name: "dockerfile", configMap: { name: CM, items: [{ key: "dockerfile", path: "Dockerfile" }] } }]);
    expect(p.mounts).toEqual([{ name: "dockerfile", mountPath: "/kaniko/buildfleet", readOnly: true }]);
  });

  it("by path: absolute under a directory context, relative for fetched contexts, Dockerfile by default", () => {
    expect(dockerfilePart({ path: "./docker/Dockerfile" }, "/workspace/b", CM).args).toEqual(["--dockerfile=/workspace/b/docker/Dockerfile"]);
    expect(dockerfilePart({ path: "docker/Dockerfile" }, undefined, CM).args).toEqual(["--dockerfile=docker/Dockerfile"]);
    expect(dockerfilePart(undefined, undefined, CM)).toEqual(renderPart({ args: ["--dockerfile=Dockerfile"] }));
  });
});

describe("arguments", () => {
  it("cacheArgs: nothing unless enabled; repository and ttl when given", () => {
    expect(cacheArgs(undefined)).toEqual([]);
    expect(cacheArgs({ enabled: false, repository: "r/c" })).toEqual([]);
    expect(cacheArgs({ enabled: true })).toEqual(["--cache=true"]);
    expect(cacheArgs({ enabled: true, repository: "r/c", ttl: "6h" })).toEqual(["--cache=true", "--cache-repo=r/c", "--cache-ttl=6h"]);
  });

  it("requestArgs: destinations, sorted build args, target, sorted labels, cache, one element each", () => {
    const args = requestArgs(
      queued({ destinations: ["r/a:1", "r/a:2"], buildArgs: { Z: "1", A: "two words" }, target: "t", imageLabels: { b: "2", a: "1" }, cache: { enabled: true } }).request,
    );
    expect(args).toEqual([
      "--destination=r/a:1",
      "--destination=r/a:2",
      "--build-arg=A=two words",
      "--build-arg=Z=1",
      "--target=t",
      "--label=a=1",
      "--label=b=2",
      "--cache=true",
    ]);
  });

  it("executorArgs: push retries (default 3), memory-saving snapshot flags, the digest in the termination log", () => {
    expect(executorArgs(undefined)).toEqual(["--push-retry=3", "--snapshot-mode=redo", "--compressed-caching=false", "--digest-file=/dev/termination-log"]);
    expect(executorArgs(7)[0]).toBe("--push-retry=7");
  });

  it("registryCredentialsPart: the Secret as config.json under /kaniko/.docker, or nothing", () => {
    expect(registryCredentialsPart(undefined)).toEqual(renderPart({}));
    const p = registryCredentialsPart({ secretName: "push" });
    expect(p.volumes).toEqual([{ name: "docker-config", secret: { secretName: "push", items: [{ key: ".dockerconfigjson", path: "config.json" }] } }]);
    expect(p.mounts).toEqual([{ name: "docker-config", mountPath: "/kaniko/.docker", readOnly: true }]);
  });
});

describe("resources and security", () => {
  it("mergeResources takes the request's over the defaults field by field and drops empty lists", () => {
    expect(mergeResources({ requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "4Gi" } }, { requests: { cpu: "2" } })).toEqual({
      requests: { cpu: "2", memory: "1Gi" },
      limits: { memory: "4Gi" },
    });
    expect(mergeResources({}, undefined)).toEqual({});
    expect(mergeResources({}, { limits: { cpu: "1" } })).toEqual({ limits: { cpu: "1" } });
  });

  it("kaniko runs without privilege or escalation; the pod without token or service links", () => {
    expect(kanikoSecurityContext()).toEqual({ privileged: false, allowPrivilegeEscalation: false });
    expect(podSecurity()).toEqual({ automountServiceAccountToken: false, enableServiceLinks: false });
  });
});

describe("container, pod, Job, ConfigMap", () => {
  it("kanikoContainer: args as a list, digest via the termination log, env and mounts only when present", () => {
    const bare = kanikoContainer("img", renderPart({ args: ["--a"] }), {});
    expect(bare).toEqual({
      name: "kaniko",
      image: "img",
      args: ["--a"],
      resources: {},
      securityContext: { privileged: false, allowPrivilegeEscalation: false },
      terminationMessagePath: "/dev/termination-log",
      terminationMessagePolicy: "FallbackToLogsOnError",
    });
    const full = kanikoContainer("img", renderPart({ env: [{ name: "E", value: "1" }], mounts: [{ name: "m", mountPath: "/m" }] }), {});
    expect(full.env).toEqual([{ name: "E", value: "1" }]);
    expect(full.volumeMounts).toEqual([{ name: "m", mountPath: "/m" }]);
  });

  it("placement: only what is configured, copied", () => {
    expect(placement({})).toEqual({});
    const tolerations = [{ key: "k", operator: "Exists" }];
    const nodeSelector = { pool: "b" };
    const p = placement({ serviceAccountName: "sa", nodeSelector, tolerations });
    expect(p).toEqual({ serviceAccountName: "sa", nodeSelector, tolerations });
    expect(p.nodeSelector).not.toBe(nodeSelector);
    expect(p.tolerations?.[0]).not.toBe(tolerations[0]);
  });

  it("podSpec: restartPolicy Never, one container, volumes only when present", () => {
    const c = kanikoContainer("img", renderPart({}), {});
    expect(podSpec(c, [], {})).toEqual({ restartPolicy: "Never", automountServiceAccountToken: false, enableServiceLinks: false, containers: [c] });
    expect(podSpec(c, [{ name: "v" }], { serviceAccountName: "sa" })).toMatchObject({ volumes: [{ name: "v" }], serviceAccountName: "sa" });
  });

  it("jobLimits: the request's retries and deadline, else 2 and 3600 s; the ttl from options", () => {
    expect(jobLimits({}, 600)).toEqual({ backoffLimit: 2, activeDeadlineSeconds: 3600, ttlSecondsAfterFinished: 600 });
    expect(jobLimits({ retries: 0, timeouts: { runSeconds: 60 } }, 1)).toEqual({ backoffLimit: 0, activeDeadlineSeconds: 60, ttlSecondsAfterFinished: 1 });
  });

  it("jobRunPolicy: one pod, disruptions ignored", () => {
    expect(jobRunPolicy()).toEqual({
      completions: 1,
      parallelism: 1,
      podFailurePolicy: { rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }] },
    });
  });

  it("inlineConfigMap: none without data; otherwise labelled like the Job, with copied maps", () => {
    const meta = { name: CM, namespace: "builds", labels: { l: "1" }, annotations: { a: "1" } };
    expect(inlineConfigMap(meta, {})).toBeUndefined();
    const cm = inlineConfigMap(meta, { k: "v" });
    expect(cm).toEqual({ apiVersion: "v1", kind: "ConfigMap", metadata: meta, data: { k: "v" } });
    expect(cm?.metadata?.labels).not.toBe(meta.labels);
  });
});
