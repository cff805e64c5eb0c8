import { describe, expect, it } from "vitest";
import { dockerfileBases } from "./dockerfile-bases.js";
import type { DockerfileBasesResult } from "./dockerfile-bases.js";

const refs = (result: DockerfileBasesResult) => {
  if (!result.ok) throw new Error(result.reason);
  return result.bases.map((b) => b.reference);
};

describe("dockerfileBases", () => {
  it("reads a literal FROM, normalised, with its line and the range of the image", () => {
    const result = dockerfileBases("# a comment\nFROM busybox\nRUN true\n");
    expect(result).toEqual({
      ok: true,
      bases: [
        {
          reference: "docker.io/library/busybox:latest",
          written: "busybox",
          source: { kind: "from", line: 2, range: { start: { line: 1, character: 5 }, end: { line: 1, character: 12 } } },
        },
      ],
    });
  });

  it("substitutes a global ARG's default, and a build arg over the default", () => {
    const file = "ARG BASE=registry.internal:5000/base/debian:v1\nFROM ${BASE}\n";
    expect(refs(dockerfileBases(file))).toEqual(["registry.internal:5000/base/debian:v1"]);
    expect(refs(dockerfileBases(file, { BASE: "debian:12" }))).toEqual(["docker.io/library/debian:12"]);
  });

  it("says a FROM taken whole from a build arg comes from that arg", () => {
    const result = dockerfileBases("ARG RUNTIME=python:3.12\nFROM $RUNTIME AS app\n");
    expect(result.ok && result.bases[0]?.source).toEqual({ kind: "build-arg", name: "RUNTIME", instruction: "from", line: 2 });
  });

  it("substitutes $VAR, ${VAR} and ${VAR:-default} inside a reference", () => {
    const file = "ARG REGISTRY\nARG TAG=3.19\nFROM ${REGISTRY:-docker.io}/library/alpine:$TAG\n";
    expect(refs(dockerfileBases(file))).toEqual(["docker.io/library/alpine:3.19"]);
    expect(refs(dockerfileBases(file, { REGISTRY: "mirror.internal" }))).toEqual(["mirror.internal/library/alpine:3.19"]);
    const result = dockerfileBases(file);
    expect(result.ok && result.bases[0]?.source.kind).toBe("from");
  });

  it("lets a global ARG default use an earlier ARG", () => {
    expect(refs(dockerfileBases("ARG REG=r.io\nARG IMG=${REG}/team/base:1\nFROM $IMG\n"))).toEqual(["r.io/team/base:1"]);
  });

  it("ignores build args the Dockerfile does not declare, as docker does", () => {
    const result = dockerfileBases("FROM ${BASE}\n", { BASE: "debian:12" });
    expect(result).toEqual({ ok: false, reason: "the FROM on line 1 cannot be resolved: ${BASE} is not declared by any ARG in scope" });
  });

  it("marks a FROM whose ARG has no value unresolved, naming the line and the variable", () => {
    const result = dockerfileBases("ARG TAG\nFROM alpine:${TAG}\n");
    expect(result).toEqual({
      ok: false,
      reason: "the FROM on line 2 cannot be resolved: ${TAG} has no value: its ARG has no default and buildArgs sets none",
    });
  });

  it("skips the --platform flag and reads the image after it", () => {
    const file = "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nFROM --platform=linux/arm64 \\\n  gcr.io/distroless/static:nonroot\n";
    const result = dockerfileBases(file);
    expect(refs(result)).toEqual(["docker.io/library/golang:1.22", "gcr.io/distroless/static:nonroot"]);
    expect(result.ok && result.bases[1]?.source).toMatchObject({ kind: "from", line: 2, range: { start: { line: 2, character: 2 } } });
  });

  it("treats later FROM alias and COPY --from=alias|index as internal, case-insensitively", () => {
    const file = [
      "FROM node:20 AS Deps",
      "RUN npm ci",
      "FROM deps AS build",
      "COPY --from=DEPS /node_modules /node_modules",
      "FROM nginx:1.25",
      "COPY --from=1 /dist /usr/share/nginx/html",
      "COPY --from=0 /x /x",
    ].join("\n");
    expect(refs(dockerfileBases(file))).toEqual(["docker.io/library/node:20", "docker.io/library/nginx:1.25"]);
  });

  it("reads COPY --from=<image> and RUN --mount=…,from=<image> as further bases", () => {
    const file = [
      "FROM debian:12",
      "COPY --from=registry.internal:5000/tools/jq:1.7 /usr/bin/jq /usr/bin/jq",
      "RUN --mount=type=cache,target=/root/.cache \\",
      "    --mount=type=bind,from=golang:1.22,source=/usr/local/go,target=/go make",
    ].join("\n");
    const result = dockerfileBases(file);
    expect(refs(result)).toEqual(["docker.io/library/debian:12", "registry.internal:5000/tools/jq:1.7", "docker.io/library/golang:1.22"]);
    expect(result.ok && result.bases.map((b) => [b.source.kind, b.source.line])).toEqual([
      ["from", 1],
      ["copy-from", 2],
      ["run-mount", 3],
    ]);
  });

  it("ignores scratch", () => {
    expect(refs(dockerfileBases("FROM golang:1.22 AS build\nFROM scratch\nCOPY --from=build /app /app\n"))).toEqual([
      "docker.io/library/golang:1.22",
    ]);
  });

  it("resolves COPY --from=$VAR from the stage's own ARG, not from a global it does not re-declare", () => {
    const declared = "ARG TOOLS=tools/jq:1\nFROM debian:12\nARG TOOLS\nCOPY --from=$TOOLS /jq /jq\n";
    const result = dockerfileBases(declared);
    expect(refs(result)).toEqual(["docker.io/library/debian:12", "docker.io/tools/jq:1"]);
    expect(result.ok && result.bases[1]?.source).toEqual({ kind: "build-arg", name: "TOOLS", instruction: "copy-from", line: 4 });
    const hidden = dockerfileBases("ARG TOOLS=tools/jq:1\nFROM debian:12\nCOPY --from=$TOOLS /jq /jq\n");
    expect(hidden).toMatchObject({ ok: false, reason: expect.stringContaining("COPY --from on line 3") as unknown });
  });

  it("refuses a reference that is not valid, and a stage index that does not exist yet", () => {
    expect(dockerfileBases("FROM Debian:12\n")).toMatchObject({ ok: false, reason: expect.stringContaining('names "Debian:12", which is not a valid image reference') as unknown });
    expect(dockerfileBases("FROM debian:12\nCOPY --from=3 /a /a\n")).toEqual({
      ok: false,
      reason: "the COPY --from on line 2 names stage 3, but only 1 stage(s) come before it",
    });
  });

  it("says so when there is no FROM", () => {
    expect(dockerfileBases("# nothing\n")).toEqual({ ok: false, reason: "the Dockerfile has no FROM instruction" });
  });

  it("reads quoted ARG defaults and honours the escape directive", () => {
    expect(refs(dockerfileBases('ARG BASE="debian:12"\nFROM $BASE\n'))).toEqual(["docker.io/library/debian:12"]);
    expect(refs(dockerfileBases("# escape=`\nARG TAG=1\nFROM alpine:$TAG `\n  AS a\n"))).toEqual(["docker.io/library/alpine:1"]);
  });

  it("ignores ONBUILD triggers and the syntax directive: neither is a base of this build", () => {
    expect(refs(dockerfileBases("# syntax=docker/dockerfile:1\nFROM debian:12\nONBUILD COPY --from=nginx:1 /a /a\n"))).toEqual(["docker.io/library/debian:12"]);
  });

  it("lists a base once per place it is named", () => {
    expect(refs(dockerfileBases("FROM alpine:3 AS a\nFROM alpine:3 AS b\n"))).toEqual(["docker.io/library/alpine:3", "docker.io/library/alpine:3"]);
  });
});
