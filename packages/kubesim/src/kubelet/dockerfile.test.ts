import { describe, expect, it } from "vitest";
import { buildArgsOf, dockerfileBases, dockerfileStages, mountedDockerfile } from "./dockerfile.js";

describe("kubesim's Dockerfile reading", () => {
  it("finds each stage's base, with build args and ARG defaults, skipping stage names and scratch", () => {
    const text = "ARG BASE=debian:12\nARG TAG\nFROM --platform=$BUILDPLATFORM ${BASE} AS build\nRUN make\nFROM registry.internal:5000/py:${TAG:-3.12}\nCOPY --from=build /a /a\nFROM build AS again\nFROM scratch\n";
    expect(dockerfileBases(text, {})).toEqual(["debian:12", "registry.internal:5000/py:3.12"]);
    expect(dockerfileBases(text, buildArgsOf(["--build-arg=BASE=alpine:3.20", "--build-arg", "TAG=3.13"]))).toEqual(["alpine:3.20", "registry.internal:5000/py:3.13"]);
  });

  it("reads the Dockerfile --dockerfile points to from the mounted ConfigMap item", () => {
    const pod = {
      spec: {
        volumes: [{ name: "dockerfile", configMap: { name: "cm", items: [{ key: "dockerfile.inline", path: "Dockerfile" }] } }],
        containers: [{ args: ["--dockerfile=/kaniko/inline/Dockerfile"], volumeMounts: [{ name: "dockerfile", mountPath: "/kaniko/inline" }] }],
      },
    };
    expect(mountedDockerfile(pod, 0, (n) => (n === "cm" ? { "dockerfile.inline": "FROM busybox:1.36" } : undefined))).toBe("FROM busybox:1.36");
    expect(mountedDockerfile(pod, 0, () => undefined)).toBeUndefined();
  });

  it("splits the Dockerfile into stages with their instructions as written, continuations joined, comments and heredoc bodies left out", () => {
    const text = "# syntax=docker/dockerfile:1\nARG BASE=debian:12\nFROM ${BASE} AS build\nRUN make \\\n  all\nRUN <<EOF\necho hi\nEOF\n# a comment\nFROM build\nCOPY --from=build /a /a\n";
    expect(dockerfileStages(text, {})).toEqual([
      { base: "debian:12", name: "build", baseIndex: -1, instructions: ["RUN make all", "RUN <<EOF"] },
      { base: "build", baseIndex: 0, instructions: ["COPY --from=build /a /a"] },
    ]);
  });
});
