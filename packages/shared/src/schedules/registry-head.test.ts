import { describe, expect, it } from "vitest";
import { parseChallenge, retryAfterMs } from "./registry-head.js";

describe("registry challenge and rate-limit headers", () => {
  it("reads a Docker Hub bearer challenge", () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/busybox:pull" },
    });
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(retryAfterMs("12")).toBe(12_000);
    expect(retryAfterMs("Wed, 02 Dec 2026 15:00:10 GMT", Date.parse("2026-12-02T15:00:00Z"))).toBe(10_000);
    expect(retryAfterMs(null)).toBeUndefined();
  });
});
