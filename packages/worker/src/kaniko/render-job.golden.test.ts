import { describe, expect, it } from "vitest";
import type { BuildRequestInput, QueuedBuildInput } from "./build-input.js";
import { renderBuildJob, type RenderOptions } from "./render-job.js";

/**
 * Byte-for-byte guard: the rendered objects, serialized with their key order,
 * must not change when the renderer's inside does. The snapshots were written
 * by the renderer before it was split into one function per decision.
 */

const base: RenderOptions = {
  namespace: "builds",
  executorImage: "ghcr.io/osscontainertools/kaniko@sha256:" + "0".repeat(64),
  ttlSecondsAfterFinished: 600,
  defaultResources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "4Gi" } },
};

function build(request: Partial<BuildRequestInput>, extra: Partial<QueuedBuildInput> = {}): QueuedBuildInput {
  return {
    buildId: "01jd3k8q9v7x2m4n6p8r0t2w4y",
    tenant: "acme",
    request: { context: { type: "volume", claimName: "ws", path: "my-build" }, destinations: ["r.example/a:1"], ...request },
    ...extra,
  };
}

const cases: [string, QueuedBuildInput, RenderOptions][] = [
  ["volume, defaults only", build({}), base],
  ["volume at the claim's root", build({ context: { type: "volume", claimName: "ws", path: "./" } }), base],
  [
    "inline files and an inline Dockerfile",
    build({ context: { type: "inline", files: { "src/b.txt": "b", "./a.txt": "a" } }, dockerfile: { inline: "FROM scratch\n" } }),
    base,
  ],
  ["inline files, Dockerfile by path", build({ context: { type: "inline", files: { Dockerfile: "FROM x" } }, dockerfile: { path: "./Dockerfile" } }), base],
  [
    "git over https with ref, commit and sub-path",
    build({ context: { type: "git", url: "https://git.example/r.git", ref: "main", commit: "abc123", subPath: "/app/" }, dockerfile: { path: "docker/Dockerfile" } }),
    base,
  ],
  ["git over http, tag ref, empty sub-path", build({ context: { type: "git", url: "http://git.example/r.git", ref: "refs/tags/v1", subPath: "." } }), base],
  ["git, commit only", build({ context: { type: "git", url: "git://git.example/r.git", commit: "def456" } }), base],
  ["tarball, inline Dockerfile", build({ context: { type: "tarball", url: "s3://bucket/ctx.tar.gz" }, dockerfile: { inline: "FROM y" } }), base],
  [
    "every request flag",
    build(
      {
        destinations: ["r.example/a:1", "r.example/a:latest"],
        buildArgs: { Z: "1", A: "two words" },
        target: "final",
        imageLabels: { "org.b": "2", "org.a": "1" },
        cache: { enabled: true, repository: "r.example/cache", ttl: "24h" },
        registryCredentials: { secretName: "push-creds" },
        resources: { requests: { cpu: "2" }, limits: { cpu: "4", memory: "8Gi" } },
        timeouts: { runSeconds: 900, queueSeconds: 60 },
        retries: 0,
        priority: "high",
      },
      { tenant: "Team_One!" },
    ),
    {
      ...base,
      pushRetry: 5,
      serviceAccountName: "kaniko",
      nodeSelector: { pool: "builds" },
      tolerations: [{ key: "dedicated", operator: "Equal", value: "builds", effect: "NoSchedule" }],
      attempt: 3,
    },
  ],
  ["cache enabled without repository, no default resources", build({ cache: { enabled: true } }), { ...base, defaultResources: {} }],
  ["cache disabled", build({ cache: { enabled: false, repository: "r.example/cache" } }), base],
];

describe("renderBuildJob: rendered bytes", () => {
  it.each(cases)("%s", (_name, queued, opts) => {
    expect(JSON.stringify(renderBuildJob(queued, opts), null, 2)).toMatchSnapshot();
  });

  it("refuses an unsupported git url scheme", () => {
    expect(() => renderBuildJob(build({ context: { type: "git", url: "ssh://git.example/r.git" } }), base)).toThrow(
      new RangeError("unsupported git url scheme: ssh://git.example/r.git"),
    );
  });
});
