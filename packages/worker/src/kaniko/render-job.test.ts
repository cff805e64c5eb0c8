import type { V1Container, V1Job } from "@kubernetes/client-node";
import { newBuildId, parseBuildRequest, type QueuedBuild } from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import type { BuildRequestInput, QueuedBuildInput } from "./build-input.js";
import { isDns1123Label } from "./job-name.js";
import { ownerReferenceForJob, renderBuildJob, type RenderOptions } from "./render-job.js";

const opts: RenderOptions = {
  namespace: "builds",
  executorImage: "ghcr.io/osscontainertools/kaniko@sha256:" + "0".repeat(64),
  ttlSecondsAfterFinished: 600,
  defaultResources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "4Gi" } },
};

function build(request: Partial<BuildRequestInput> = {}, extra: Partial<QueuedBuildInput> = {}): QueuedBuildInput {
  return {
    buildId: "01jd3k8q9v7x2m4n6p8r0t2w4y",
    tenant: "acme",
    request: {
      context: { type: "volume", claimName: "kaniko-workspace", path: "my-build" },
      destinations: ["registry.example.com/team/debian:v1.0.0"],
      ...request,
    },
    ...extra,
  };
}

function kaniko(job: V1Job): V1Container {
  const c = job.spec?.template.spec?.containers[0];
  if (c === undefined) throw new Error("no container");
  return c;
}

function args(job: V1Job): string[] {
  return kaniko(job).args ?? [];
}

describe("renderBuildJob: the Job's shape", () => {
  const { job, configMap } = renderBuildJob(build({ retries: 4, timeouts: { runSeconds: 900 } }), opts);

  it("sets backoffLimit, deadline, ttl and a podFailurePolicy that ignores disruptions", () => {
    expect(job.spec).toMatchObject({
      backoffLimit: 4,
      activeDeadlineSeconds: 900,
      ttlSecondsAfterFinished: 600,
      podFailurePolicy: { rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }] },
    });
    expect(job.spec?.template.spec?.restartPolicy).toBe("Never");
  });

  it("uses contract defaults when the request leaves retries and timeouts out", () => {
    const j = renderBuildJob(build(), opts).job;
    expect(j.spec?.backoffLimit).toBe(2);
    expect(j.spec?.activeDeadlineSeconds).toBe(3600);
  });

  it("runs unprivileged, without a service account token, with the pinned executor image", () => {
    expect(job.spec?.template.spec?.automountServiceAccountToken).toBe(false);
    expect(kaniko(job).securityContext).toEqual({ privileged: false, allowPrivilegeEscalation: false });
    expect(kaniko(job).image).toBe(opts.executorImage);
  });

  it("labels Job and pods so the shared watch finds them and ties them to the build", () => {
    const expected = {
      "app.kubernetes.io/managed-by": "buildfleet",
      "app.kubernetes.io/name": "kaniko",
      "buildfleet.dev/build-id": "01jd3k8q9v7x2m4n6p8r0t2w4y",
      "buildfleet.dev/tenant": "acme",
    };
    expect(job.metadata?.labels).toEqual(expected);
    expect(job.spec?.template.metadata?.labels).toEqual(expected);
    expect(job.metadata?.annotations).toEqual({
      "buildfleet.dev/build-id": "01jd3k8q9v7x2m4n6p8r0t2w4y",
      "buildfleet.dev/tenant": "acme",
      "buildfleet.dev/attempt": "1",
      "buildfleet.dev/priority": "normal",
    });
    expect(job.metadata?.namespace).toBe("builds");
  });

  it("makes a label-unsafe tenant label-safe but keeps it verbatim in the annotation", () => {
    const j = renderBuildJob(build({}, { tenant: "Acme Corp/EU" }), opts).job;
    expect(j.metadata?.labels?.["buildfleet.dev/tenant"]).toMatch(/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/);
    expect(j.metadata?.annotations?.["buildfleet.dev/tenant"]).toBe("Acme Corp/EU");
  });

  it("always asks kaniko for the digest in the termination log, and sets the memory-saving flags", () => {
    expect(args(job)).toEqual(
      expect.arrayContaining(["--digest-file=/dev/termination-log", "--push-retry=3", "--snapshot-mode=redo", "--compressed-caching=false"]),
    );
    expect(kaniko(job).terminationMessagePolicy).toBe("FallbackToLogsOnError");
    expect(configMap).toBeUndefined();
  });

  it("names the Job deterministically within 63 characters", () => {
    const long = renderBuildJob(build({}, { buildId: "x".repeat(200) }), opts).job;
    expect(long.metadata?.name?.length).toBeLessThanOrEqual(63);
    expect(isDns1123Label(long.metadata?.name ?? "")).toBe(true);
    expect(renderBuildJob(build(), opts)).toEqual(renderBuildJob(build(), opts));
  });
});

describe("renderBuildJob: context kinds", () => {
  it("volume: mounts the PVC read-only at /workspace and uses dir:// with the sub-directory", () => {
    const { job } = renderBuildJob(build(), opts);
    expect(args(job)).toEqual(expect.arrayContaining(["--context=dir:///workspace/my-build", "--dockerfile=/workspace/my-build/Dockerfile"]));
    expect(job.spec?.template.spec?.volumes).toEqual([{ name: "context", persistentVolumeClaim: { claimName: "kaniko-workspace", readOnly: true } }]);
    expect(kaniko(job).volumeMounts).toEqual([{ name: "context", mountPath: "/workspace", readOnly: true }]);
  });

  it("git: git:// context with ref and commit, the sub-path flag, and a Dockerfile relative to the context", () => {
    const { job } = renderBuildJob(
      build({
        context: { type: "git", url: "https://github.com/acme/app.git", ref: "main", commit: "a".repeat(40), subPath: "services/api" },
        dockerfile: { path: "docker/Dockerfile.prod" },
      }),
      opts,
    );
    expect(args(job)).toEqual(
      expect.arrayContaining([
        `--context=git://github.com/acme/app.git#refs/heads/main#${"a".repeat(40)}`,
        "--context-sub-path=services/api",
        "--dockerfile=docker/Dockerfile.prod",
      ]),
    );
    expect(kaniko(job).env).toBeUndefined();
    expect(job.spec?.template.spec?.volumes).toBeUndefined();
  });

  it("git: a refs/ ref is kept, a commit alone is allowed, http:// sets GIT_PULL_METHOD", () => {
    const tag = renderBuildJob(build({ context: { type: "git", url: "git://git.example.com/app.git", ref: "refs/tags/v1" } }), opts).job;
    expect(args(tag)).toContain("--context=git://git.example.com/app.git#refs/tags/v1");
    const commit = renderBuildJob(build({ context: { type: "git", url: "http://git.local/app.git", commit: "b".repeat(40) } }), opts).job;
    expect(args(commit)).toContain(`--context=git://git.local/app.git#${"b".repeat(40)}`);
    expect(kaniko(commit).env).toEqual([{ name: "GIT_PULL_METHOD", value: "http" }]);
  });

  it.each(["s3://bucket/ctx/app.tar.gz", "gs://bucket/app.tgz", "https://files.example.com/app.tar.gz"])("tarball: passes %s to kaniko", (url) => {
    const { job, configMap } = renderBuildJob(build({ context: { type: "tarball", url } }), opts);
    expect(args(job)).toEqual(expect.arrayContaining([`--context=${url}`, "--dockerfile=Dockerfile"]));
    expect(configMap).toBeUndefined();
  });

  it("inline: files go into a ConfigMap named like the Job, mounted at /workspace with their paths", () => {
    const { job, configMap } = renderBuildJob(
      build({ context: { type: "inline", files: { "Dockerfile": "FROM busybox:latest\nCOPY src/ /src/\n", "src/main.sh": "echo hi\n" } } }),
      opts,
    );
    expect(configMap?.metadata?.name).toBe(job.metadata?.name);
    expect(configMap?.metadata?.labels?.["buildfleet.dev/build-id"]).toBe("01jd3k8q9v7x2m4n6p8r0t2w4y");
    expect(Object.values(configMap?.data ?? {}).sort()).toEqual(["FROM busybox:latest\nCOPY src/ /src/\n", "echo hi\n"]);
    for (const key of Object.keys(configMap?.data ?? {})) expect(key).toMatch(/^[-._a-zA-Z0-9]+$/);
    const volume = job.spec?.template.spec?.volumes?.find((v) => v.name === "context");
    expect(volume?.configMap?.name).toBe(configMap?.metadata?.name);
    expect(volume?.configMap?.items?.map((i) => i.path).sort()).toEqual(["Dockerfile", "src/main.sh"]);
    expect(args(job)).toEqual(expect.arrayContaining(["--context=dir:///workspace", "--dockerfile=/workspace/Dockerfile"]));
  });

  it("inline Dockerfile: a ConfigMap key mounted outside the context", () => {
    const { job, configMap } = renderBuildJob(build({ dockerfile: { inline: "FROM busybox:latest" } }), opts);
    expect(configMap?.data).toEqual({ dockerfile: "FROM busybox:latest" });
    expect(args(job)).toContain("--dockerfile=/kaniko/buildfleet/Dockerfile");
    expect(kaniko(job).volumeMounts).toContainEqual({ name: "dockerfile", mountPath: "/kaniko/buildfleet", readOnly: true });
  });
});

describe("renderBuildJob: arguments", () => {
  it("one flag per destination, build arg, label; target; cache flags; never shell-joined", () => {
    const { job } = renderBuildJob(
      build({
        destinations: ["r.example.com/a/b:v1", "r.example.com/a/b:v1.0"],
        buildArgs: { VERSION: "1.0", NOTE: "a b; rm -rf / $(id) `x` 'q'" },
        imageLabels: { "org.opencontainers.image.source": "https://github.com/acme/app" },
        target: "runtime",
        cache: { enabled: true, repository: "r.example.com/a/cache", ttl: "24h" },
      }),
      { ...opts, pushRetry: 5 },
    );
    const a = args(job);
    expect(a.filter((x) => x.startsWith("--destination="))).toEqual(["--destination=r.example.com/a/b:v1", "--destination=r.example.com/a/b:v1.0"]);
    expect(a).toContain("--build-arg=NOTE=a b; rm -rf / $(id) `x` 'q'");
    expect(a).toContain("--build-arg=VERSION=1.0");
    expect(a).toContain("--label=org.opencontainers.image.source=https://github.com/acme/app");
    expect(a).toEqual(expect.arrayContaining(["--target=runtime", "--cache=true", "--cache-repo=r.example.com/a/cache", "--cache-ttl=24h", "--push-retry=5"]));
    // Not through a shell: no command override, every element is one flag.
    const c = kaniko(job);
    expect(c.command).toBeUndefined();
    for (const arg of a) expect(arg.startsWith("--")).toBe(true);
  });

  it("leaves cache flags out when the cache is disabled", () => {
    const { job } = renderBuildJob(build({ cache: { enabled: false, repository: "r/x" } }), opts);
    expect(args(job).some((x) => x.startsWith("--cache"))).toBe(false);
  });
});

describe("renderBuildJob: credentials, resources, placement", () => {
  it("mounts the registry Secret as /kaniko/.docker/config.json", () => {
    const { job } = renderBuildJob(build({ registryCredentials: { secretName: "regcred" } }), opts);
    expect(job.spec?.template.spec?.volumes).toContainEqual({
      name: "docker-config",
      secret: { secretName: "regcred", items: [{ key: ".dockerconfigjson", path: "config.json" }] },
    });
    expect(kaniko(job).volumeMounts).toContainEqual({ name: "docker-config", mountPath: "/kaniko/.docker", readOnly: true });
  });

  it("takes the request's resources over the defaults, field by field", () => {
    const { job } = renderBuildJob(build({ resources: { requests: { memory: "2Gi" }, limits: { cpu: "2" } } }), opts);
    expect(kaniko(job).resources).toEqual({ requests: { cpu: "500m", memory: "2Gi" }, limits: { cpu: "2", memory: "4Gi" } });
  });

  it("applies service account, node selector and tolerations from options", () => {
    const { job } = renderBuildJob(build(), {
      ...opts,
      serviceAccountName: "kaniko",
      nodeSelector: { pool: "builds" },
      tolerations: [{ key: "builds", operator: "Exists", effect: "NoSchedule" }],
    });
    expect(job.spec?.template.spec).toMatchObject({
      serviceAccountName: "kaniko",
      nodeSelector: { pool: "builds" },
      tolerations: [{ key: "builds", operator: "Exists", effect: "NoSchedule" }],
    });
  });
});

describe("ownerReferenceForJob", () => {
  it("points at the created Job's uid so the ConfigMap is collected with it", () => {
    const { job } = renderBuildJob(build(), opts);
    expect(() => ownerReferenceForJob(job)).toThrow(RangeError);
    const created = { ...job, metadata: { ...job.metadata, uid: "1234" } };
    expect(ownerReferenceForJob(created)).toEqual({
      apiVersion: "batch/v1",
      kind: "Job",
      name: job.metadata?.name,
      uid: "1234",
      controller: false,
      blockOwnerDeletion: false,
    });
  });
});

describe("renderBuildJob with the shared contract", () => {
  it("renders a QueuedBuild parsed by the contract (the types line up and defaults apply)", () => {
    const request = parseBuildRequest({
      context: { type: "volume", claimName: "kaniko-workspace", path: "my-build" },
      dockerfile: { inline: "FROM busybox:latest" },
      destinations: ["registry.example.com/team/debian:v1.0.0"],
    });
    const queued: QueuedBuild = { buildId: newBuildId(), tenant: "acme", request, submittedAt: new Date().toISOString() };
    const { job, configMap } = renderBuildJob(queued, opts);
    expect(job.spec?.backoffLimit).toBe(request.retries);
    expect(job.metadata?.annotations?.["buildfleet.dev/priority"]).toBe(request.priority);
    expect(configMap?.data).toEqual({ dockerfile: "FROM busybox:latest" });
    expect(args(job)).toContain("--context=dir:///workspace/my-build");
  });
});
