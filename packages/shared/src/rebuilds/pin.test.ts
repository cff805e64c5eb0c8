import { describe, expect, it } from "vitest";
import { parseBuildRequest } from "../contract/index.js";
import type { BuildRequest } from "../contract/index.js";
import { dockerfileBases } from "../catalog/dockerfile-bases.js";
import { REG, digest } from "../test-support/catalog.js";
import { pinBuildRequest } from "./pin.js";

const D1 = digest(1);
const D2 = digest(2);
const inline = (text: string, buildArgs?: Record<string, string>): BuildRequest =>
  parseBuildRequest({
    context: { type: "inline", files: {} },
    dockerfile: { inline: text },
    destinations: [`${REG}/team/app:v1`],
    ...(buildArgs ? { buildArgs } : {}),
  });
const pin = (request: BuildRequest, pins: Record<string, string>) => {
  const result = pinBuildRequest(request, new Map(Object.entries(pins)));
  if (!result.ok) throw new Error(result.reason);
  return result;
};
const dockerfileOf = (request: BuildRequest) => ("inline" in request.dockerfile ? request.dockerfile.inline : "");

describe("pinBuildRequest", () => {
  it("rewrites a FROM to repo:tag@digest, keeping the flag, the alias and the rest of the file", () => {
    const request = inline(`# base\nFROM --platform=linux/amd64 ${REG}/team/python:v1 AS runtime\nRUN echo hi\n`);
    const result = pin(request, { [`${REG}/team/python:v1`]: D1 });
    expect(dockerfileOf(result.request)).toBe(`# base\nFROM --platform=linux/amd64 ${REG}/team/python:v1@${D1} AS runtime\nRUN echo hi\n`);
    expect(result.pins).toEqual([{ base: `${REG}/team/python:v1`, digest: D1, state: "pinned", pinnedTo: `${REG}/team/python:v1@${D1}` }]);
    expect(request.dockerfile).toEqual({ inline: `# base\nFROM --platform=linux/amd64 ${REG}/team/python:v1 AS runtime\nRUN echo hi\n` });
  });

  it("rewrites COPY --from=<image> and RUN --mount from=<image>, several on one file, from the end backwards", () => {
    const request = inline(
      [
        "FROM busybox AS a",
        `COPY --from=${REG}/team/jq:v1 /jq /jq`,
        `RUN --mount=type=bind,from=${REG}/team/jq:v1,target=/t \\`,
        "    --mount=type=cache,target=/c true",
      ].join("\r\n"),
    );
    const result = pin(request, { [`${REG}/team/jq:v1`]: D2, "busybox:latest": D1 });
    expect(dockerfileOf(result.request)).toBe(
      [
        `FROM docker.io/library/busybox:latest@${D1} AS a`,
        `COPY --from=${REG}/team/jq:v1@${D2} /jq /jq`,
        `RUN --mount=type=bind,from=${REG}/team/jq:v1@${D2},target=/t \\`,
        "    --mount=type=cache,target=/c true",
      ].join("\r\n"),
    );
    expect(result.pins.map((p) => p.state)).toEqual(["pinned", "pinned"]);
  });

  it("sets the build arg a FROM is taken from, and leaves the Dockerfile alone", () => {
    const text = `ARG BASE=${REG}/team/debian:v1\nFROM \${BASE}\n`;
    const result = pin(inline(text, { OTHER: "x" }), { [`${REG}/team/debian:v1`]: D1 });
    expect(result.request.buildArgs).toEqual({ OTHER: "x", BASE: `${REG}/team/debian:v1@${D1}` });
    expect(dockerfileOf(result.request)).toBe(text);
  });

  it("rewrites the Dockerfile file of an inline context (the layered app example)", () => {
    const request = parseBuildRequest({
      context: { type: "inline", files: { Dockerfile: `FROM ${REG}/team/python:v1\nCOPY app.py .\n`, "app.py": "print(1)\n" } },
      dockerfile: { path: "Dockerfile" },
      destinations: [`${REG}/team/app:v1`],
    });
    const result = pin(request, { [`${REG}/team/python:v1`]: D1 });
    expect(result.request.context).toEqual({
      type: "inline",
      files: { Dockerfile: `FROM ${REG}/team/python:v1@${D1}\nCOPY app.py .\n`, "app.py": "print(1)\n" },
    });
  });

  it("builds from the tag, unpinned, a Dockerfile buildfleet cannot rewrite", () => {
    const request = parseBuildRequest({ context: { type: "git", url: "https://github.com/example/app.git" }, destinations: [`${REG}/team/app:v1`] });
    const result = pin(request, { [`${REG}/team/python:v1`]: D1 });
    expect(result.request).toBe(request);
    expect(result.pins).toEqual([{ base: `${REG}/team/python:v1`, digest: D1, state: "unpinned" }]);
  });

  it("replaces a digest the base already had, and leaves bases it was not asked to pin", () => {
    const text = `FROM ${REG}/team/python:v1@${D2}\nCOPY --from=alpine:3 /x /x\n`;
    const result = pin(inline(text), { [`${REG}/team/python:v1@${D2}`]: D1 });
    expect(dockerfileOf(result.request)).toBe(`FROM ${REG}/team/python:v1@${D1}\nCOPY --from=alpine:3 /x /x\n`);
  });

  it("gives a request whose Dockerfile now reads as the pinned bases, and that is still valid", () => {
    const text = `ARG REG=${REG}\nFROM \${REG}/team/python:v1 AS py\nFROM ${REG}/team/node:v1\nCOPY --from=py /venv /venv\n`;
    const result = pin(inline(text), { [`${REG}/team/python:v1`]: D1, [`${REG}/team/node:v1`]: D2 });
    const reread = dockerfileBases(dockerfileOf(result.request), result.request.buildArgs ?? {});
    expect(reread.ok && reread.bases.map((b) => b.reference)).toEqual([`${REG}/team/python:v1@${D1}`, `${REG}/team/node:v1@${D2}`]);
    expect(parseBuildRequest(result.request)).toEqual(result.request);
  });

  it("reports an unpinnable Dockerfile instead of building it unpinned", () => {
    expect(pinBuildRequest(inline("ARG X\nFROM $X\n"), new Map([["busybox", D1]]))).toMatchObject({ ok: false, reason: expect.stringContaining("line 2") as unknown });
  });

  it("pins from bases read before (at apply time) exactly as from a fresh read of the Dockerfile", () => {
    const request = inline(`ARG BASE=${REG}/team/python:v1\nFROM \${BASE} AS runtime\nCOPY --from=${REG}/team/jq:v1 /jq /jq\n`);
    const pins = new Map([[`${REG}/team/python:v1`, D1], [`${REG}/team/jq:v1`, D2]]);
    const read = dockerfileBases(dockerfileOf(request));
    if (!read.ok) throw new Error(read.reason);

    expect(pinBuildRequest(request, pins, read.bases)).toEqual(pinBuildRequest(request, pins));
  });
});
