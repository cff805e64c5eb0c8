import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index.js";
import { parseImage, readableDockerfile, validateImage } from "./image.js";

const build = {
  context: { type: "git", url: "https://github.com/example/runtime.git" },
  destinations: ["registry.internal:5000/base/python:3.12-1"],
};
const doc = (over: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) => ({
  apiVersion: "buildfleet.dev/v1",
  kind: "Image",
  metadata: { name: "python-runtime", labels: { team: "platform" } },
  spec: { build, bases: ["registry.internal:5000/base/debian:v1.0.0"], ...spec },
  ...over,
});
const issuesOf = (input: unknown) => {
  const result = validateImage(input);
  return result.ok ? [] : result.issues;
};

describe("validateImage", () => {
  it("accepts the issue's example and applies the defaults of the build and of rebuild", () => {
    const image = parseImage(doc({}, { rebuild: { onBaseChange: true } }));
    expect(image.metadata).toEqual({ name: "python-runtime", labels: { team: "platform" } });
    expect(image.spec.rebuild).toEqual({ onBaseChange: true, settleSeconds: 120 });
    expect(image.spec.build.dockerfile).toEqual({ path: "Dockerfile" });
    expect(image.spec.bases).toEqual(["registry.internal:5000/base/debian:v1.0.0"]);
  });

  it.each([
    [{ kind: "Img" }, "kind", 'expected "Image", got "Img"'],
    [{ apiVersion: "v1" }, "apiVersion", 'expected "buildfleet.dev/v1", got "v1"'],
    [{ metadata: { name: "Python_Runtime" } }, "metadata.name", '"Python_Runtime" is not an image name'],
    [{ metadata: { name: "a".repeat(64) } }, "metadata.name", "longer than 63 characters"],
    [{ metadata: { name: "x", labels: { "buildfleet.dev/wave": "1" } } }, 'metadata.labels["buildfleet.dev/wave"]', "reserved"],
    [{ metadata: {} }, "metadata.name", "required"],
  ])("refuses %j naming %s", (over, path, message) => {
    const issues = issuesOf(doc(over));
    expect(issues).toContainEqual(expect.objectContaining({ path, message: expect.stringContaining(message) as unknown }));
  });

  it("names an unknown field at any level, suggesting the field meant", () => {
    expect(issuesOf(doc({ Kind: "Image" }))).toContainEqual({ path: "Kind", message: 'unknown field "Kind" (did you mean "kind"?)' });
    expect(issuesOf(doc({}, { rebuild: { onBaseChange: true, settle: 5 } }))).toContainEqual({
      path: "spec.rebuild.settle",
      message: 'unknown field "settle" (known fields: onBaseChange, settleSeconds)',
    });
  });

  it("refuses a bad base reference and a base listed twice, naming the entry", () => {
    const bad = issuesOf(doc({}, { bases: ["Debian:12", "busybox"] }));
    expect(bad.map((i) => i.path)).toEqual(["spec.bases[0]"]);
    expect(bad[0]?.message).toContain("must be lowercase");
    expect(issuesOf(doc({}, { bases: ["busybox", "docker.io/library/busybox"] }))).toEqual([
      { path: "spec.bases[1]", message: '"docker.io/library/busybox" is listed twice (also bases[0])' },
    ]);
  });

  it("names fields of the build request under spec.build, with the request's own checks", () => {
    const issues = issuesOf(doc({}, { build: { ...build, destinations: ["registry.internal:5000/base/python:latest"], retires: 1 } }));
    expect(issues.map((i) => i.path)).toEqual(["spec.build.retires"]);
    expect(issues[0]?.message).toContain('did you mean "retries"');
    // Tag policy, as for a submitted build.
    expect(issuesOf(doc({}, { build: { ...build, destinations: ["registry.internal:5000/base/python:latest"] } }))).toContainEqual(
      expect.objectContaining({ path: "spec.build.destinations" }),
    );
  });

  it("requires spec.build", () => {
    expect(issuesOf(doc({}, { build: undefined }))).toEqual([{ path: "spec.build", message: "required: the build request this image is built from" }]);
  });

  it("refuses spec.bases on an image whose Dockerfile buildfleet reads itself", () => {
    const inline = { ...build, context: { type: "inline", files: {} }, dockerfile: { inline: "FROM debian:12" } };
    expect(issuesOf(doc({}, { build: inline })).map((i) => i.path)).toEqual(["spec.bases"]);
    expect(validateImage(doc({}, { build: inline, bases: undefined })).ok).toBe(true);
  });

  it("refuses a __proto__ key instead of losing it", () => {
    const input = JSON.parse('{"apiVersion":"buildfleet.dev/v1","kind":"Image","metadata":{"name":"x","__proto__":{}},"spec":{}}') as unknown;
    expect(issuesOf(input)).toEqual([{ path: "metadata.__proto__", message: 'the key "__proto__" is not allowed' }]);
  });

  it("throws a ValidationError whose message names every field", () => {
    expect(() => parseImage(doc({ kind: "Img" }, { bases: ["Bad"] }))).toThrow(ValidationError);
    expect(() => parseImage(doc({ kind: "Img" }, { bases: ["Bad"] }))).toThrow(/^invalid image: kind: .*; spec\.bases\[0\]: /);
  });
});

describe("readableDockerfile", () => {
  it("reads dockerfile.inline, and dockerfile.path inside an inline context", () => {
    const inline = parseImage(doc({}, { build: { ...build, context: { type: "inline", files: {} }, dockerfile: { inline: "FROM a" } }, bases: undefined }));
    expect(readableDockerfile(inline.spec.build)).toEqual({ text: "FROM a", at: { inline: true } });
    const files = parseImage(doc({}, { build: { ...build, context: { type: "inline", files: { "Dockerfile": "FROM b" } } }, bases: undefined }));
    expect(readableDockerfile(files.spec.build)).toEqual({ text: "FROM b", at: { file: "Dockerfile" } });
  });

  it("cannot read a Dockerfile in git, a volume or a tarball", () => {
    expect(readableDockerfile(parseImage(doc()).spec.build)).toBeUndefined();
  });
});
