import { describe, expect, it } from "vitest";
import { pinnedReference, splitCanonical, tryNormaliseReference } from "./image-ref.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;

function norm(input: string) {
  const result = tryNormaliseReference(input);
  if (!result.ok) throw new Error(result.problem);
  return result.value;
}

describe("tryNormaliseReference", () => {
  it("reads a bare Docker Hub name as docker.io/library/NAME:latest", () => {
    expect(norm("busybox")).toEqual({ name: "docker.io/library/busybox", tag: "latest", canonical: "docker.io/library/busybox:latest" });
  });

  it.each(["busybox", "busybox:latest", "docker.io/busybox", "docker.io/library/busybox:latest", "library/busybox"])(
    "gives %s the same canonical form",
    (input) => {
      expect(norm(input).canonical).toBe("docker.io/library/busybox:latest");
    },
  );

  it("keeps a private registry, its port and the tag", () => {
    expect(norm("registry.internal:5000/base/debian:v1").canonical).toBe("registry.internal:5000/base/debian:v1");
  });

  it("adds no tag to a digest-only reference", () => {
    expect(norm(`alpine@${DIGEST}`)).toEqual({ name: "docker.io/library/alpine", digest: DIGEST, canonical: `docker.io/library/alpine@${DIGEST}` });
  });

  it("says what is wrong with a bad reference", () => {
    expect(tryNormaliseReference("Team/App")).toEqual({ ok: false, problem: expect.stringContaining("lowercase") as unknown });
  });
});

describe("pinnedReference", () => {
  it("writes repo:tag@digest, replacing a digest the reference already had", () => {
    expect(pinnedReference(norm(`debian:12@${"sha256:" + "0".repeat(64)}`), DIGEST)).toBe(`docker.io/library/debian:12@${DIGEST}`);
  });

  it("writes repo@digest when the reference named only a digest", () => {
    expect(pinnedReference(norm(`alpine@${DIGEST}`), DIGEST)).toBe(`docker.io/library/alpine@${DIGEST}`);
  });
});

describe("splitCanonical", () => {
  it.each([
    "registry.internal:5000/base/debian:v1",
    `registry.internal:5000/base/debian@${DIGEST}`,
    `localhost:5000/a:1@${DIGEST}`,
    "docker.io/library/busybox:latest",
  ])("splits %s as the parser does", (input) => {
    const { canonical: _, ...parts } = norm(input);
    expect(splitCanonical(norm(input).canonical)).toEqual(parts);
  });
});
