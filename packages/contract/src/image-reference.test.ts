import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors/index.js";
import { formatImageReference, parseImageReference, tryParseImageReference } from "./image-reference.js";

const DIGEST = `sha256:${"a1".repeat(32)}`;

describe("parseImageReference", () => {
  it.each([
    ["busybox", { registry: "docker.io", repository: "library/busybox", name: "docker.io/library/busybox" }],
    ["busybox:latest", { registry: "docker.io", repository: "library/busybox", tag: "latest" }],
    ["debian:bookworm-slim", { registry: "docker.io", repository: "library/debian", tag: "bookworm-slim" }],
    ["team/debian:v1.0.0", { registry: "docker.io", repository: "team/debian", tag: "v1.0.0" }],
    [
      "registry.internal:5000/mirror/busybox:1.36",
      { registry: "registry.internal:5000", repository: "mirror/busybox", tag: "1.36", name: "registry.internal:5000/mirror/busybox" },
    ],
    ["localhost/app:dev", { registry: "localhost", repository: "app", tag: "dev" }],
    ["localhost:5000/app", { registry: "localhost:5000", repository: "app" }],
    ["127.0.0.1:5000/a/b/c:1", { registry: "127.0.0.1:5000", repository: "a/b/c", tag: "1" }],
    ["[::1]:5000/app:1", { registry: "[::1]:5000", repository: "app", tag: "1" }],
    ["Registry.Example.COM/team/app:V1", { registry: "Registry.Example.COM", repository: "team/app", tag: "V1" }],
    ["ghcr.io/org/my_app__x.y-z:1.0_rc-1", { registry: "ghcr.io", repository: "org/my_app__x.y-z", tag: "1.0_rc-1" }],
    [`quay.io/org/app@${DIGEST}`, { registry: "quay.io", repository: "org/app", digest: DIGEST }],
    [`quay.io/org/app:1@${DIGEST}`, { registry: "quay.io", repository: "org/app", tag: "1", digest: DIGEST }],
  ])("parses %s", (input, expected) => {
    expect(parseImageReference(input)).toMatchObject(expected);
  });

  it("leaves tag and digest out when absent", () => {
    const ref = parseImageReference("registry.example.com/team/app");
    expect(ref).toEqual({ registry: "registry.example.com", repository: "team/app", name: "registry.example.com/team/app" });
  });

  it.each([
    ["", "it is empty"],
    ["team app:v1", "it contains a space"],
    ["team/app:v1\n--insecure", "it contains a space"],
    ["team/app:v1\u0000", "it contains a control character"],
    ["registry.example.com/Team/App:v1", 'repository "Team/App" must be lowercase'],
    ["App", 'repository "App" must be lowercase'],
    ["registry.example.com/team/app:", "the tag after ':' is empty"],
    ["registry.example.com/team/app:-v1", 'tag "-v1" must start with a letter'],
    [`registry.example.com/team/app:${"v".repeat(129)}`, "at most 128"],
    ["registry.example.com:99999/app:v1", 'registry port "99999" is not a number from 1 to 65535'],
    ["registry.example.com:0/app:v1", 'registry port "0" is not a number from 1 to 65535'],
    ["registry.example.com:http/app:v1", 'registry port "http" is not a number'],
    ["-bad.example.com/app:v1", 'registry host "-bad.example.com" is not a valid host name'],
    ["registry.example.com/team//app:v1", "has an empty path component"],
    ["registry.example.com/team/app_:v1", 'repository path component "app_" may only hold'],
    ["registry.example.com/team/app@sha256:abc", 'digest "sha256:abc" is not sha256: followed by 64'],
    [`registry.example.com/team/app@md5:${"a".repeat(32)}`, "is not sha256:"],
    ["registry.example.com/", "the repository name is empty"],
    [`r.io/${"a".repeat(300)}:v1`, "the name is longer than 255 characters"],
  ])("rejects %j: %s", (input, problem) => {
    const result = tryParseImageReference(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toContain(problem);
  });

  it("throws a ValidationError with the reference, the problem and an example", () => {
    let caught: unknown;
    try {
      parseImageReference("team app:v1");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const issue = (caught as ValidationError).issues[0];
    expect(issue?.message).toBe('"team app:v1" is not a valid image reference: it contains a space');
    expect(issue?.example).toBe("registry.example.com/team/app:v1.2.3");
  });

  it("formats the fully qualified form", () => {
    expect(formatImageReference(parseImageReference("busybox:1.36"))).toBe("docker.io/library/busybox:1.36");
    expect(formatImageReference(parseImageReference(`r.io:5000/x@${DIGEST}`))).toBe(`r.io:5000/x@${DIGEST}`);
  });
});
