import { describe, expect, it } from "vitest";
import { describeSource, resolveBases } from "./bases.js";
import { parseImage } from "./image.js";

const image = (build: Record<string, unknown>, bases?: string[]) =>
  parseImage({
    apiVersion: "buildfleet.dev/v1",
    kind: "Image",
    metadata: { name: "img" },
    spec: { build: { destinations: ["r.io/team/img:1"], ...build }, ...(bases ? { bases } : {}) },
  });
const inline = (text: string, buildArgs?: Record<string, string>) =>
  image({ context: { type: "inline", files: {} }, dockerfile: { inline: text }, ...(buildArgs ? { buildArgs } : {}) });
const git = { context: { type: "git", url: "https://github.com/example/app.git" } };

describe("resolveBases", () => {
  it("reads an inline Dockerfile with the image's buildArgs", () => {
    expect(resolveBases(inline("ARG BASE\nFROM $BASE\n", { BASE: "registry.internal:5000/base/debian:v1" }))).toEqual({
      state: "resolved",
      bases: [{ reference: "registry.internal:5000/base/debian:v1", source: { kind: "build-arg", name: "BASE", instruction: "from", line: 2 } }],
      dockerfile: { inline: true },
    });
  });

  it("reads dockerfile.path from an inline context's files (the layered app example)", () => {
    const app = image({
      context: { type: "inline", files: { Dockerfile: "ARG RUNTIME=r.io/base/python:3.11\nFROM ${RUNTIME}\n" } },
      dockerfile: { path: "Dockerfile" },
    });
    const resolved = resolveBases(app);
    expect(resolved).toMatchObject({ state: "resolved", dockerfile: { file: "Dockerfile" }, bases: [{ reference: "r.io/base/python:3.11" }] });
  });

  it("marks an image unresolved with the parser's reason", () => {
    expect(resolveBases(inline("ARG TAG\nFROM alpine:$TAG\n"))).toEqual({
      state: "unresolved",
      reason: "the FROM on line 2 cannot be resolved: $TAG has no value: its ARG has no default and buildArgs sets none",
    });
  });

  it("uses spec.bases for a Dockerfile it cannot read, normalised", () => {
    expect(resolveBases(image(git, ["busybox", "r.io/base/debian:v1"]))).toEqual({
      state: "resolved",
      bases: [
        { reference: "docker.io/library/busybox:latest", source: { kind: "declared", index: 0 } },
        { reference: "r.io/base/debian:v1", source: { kind: "declared", index: 1 } },
      ],
    });
  });

  it("says why when neither the Dockerfile nor spec.bases tell", () => {
    expect(resolveBases(image(git))).toEqual({ state: "unresolved", reason: expect.stringContaining("declare the images it builds FROM in spec.bases") as unknown });
  });
});

describe("describeSource", () => {
  it("says where each base came from", () => {
    expect(describeSource({ kind: "from", line: 3, range: { start: { line: 2, character: 5 }, end: { line: 2, character: 9 } } })).toBe("FROM on line 3");
    expect(describeSource({ kind: "build-arg", name: "BASE", instruction: "copy-from", line: 4 })).toBe("build arg BASE (COPY --from on line 4)");
    expect(describeSource({ kind: "declared", index: 1 })).toBe("spec.bases[1]");
  });
});
