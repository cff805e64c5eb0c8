import { describe, expect, it } from "vitest";
import { MAX_RATE_LIMIT_HOLD_MS, parseChallenge, rateLimitHoldMs, retryAfterMs } from "./registry-head.js";

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

  it("holds a host when ratelimit-remaining reaches 0, until the reset, the Retry-After or the window", () => {
    const h = (o: Record<string, string>) => new Headers(o);
    expect(rateLimitHoldMs(200, h({ "ratelimit-remaining": "3;w=21600" }))).toBeUndefined();
    expect(rateLimitHoldMs(200, h({}))).toBeUndefined();
    expect(rateLimitHoldMs(200, h({ "ratelimit-remaining": "0", "ratelimit-reset": "42" }))).toBe(42_000);
    expect(rateLimitHoldMs(200, h({ "ratelimit-remaining": "0;w=600" }))).toBe(600_000);
    expect(rateLimitHoldMs(200, h({ "ratelimit-remaining": "0;w=21600" }))).toBe(MAX_RATE_LIMIT_HOLD_MS);
    expect(rateLimitHoldMs(429, h({ "retry-after": "7", "ratelimit-remaining": "0", "ratelimit-reset": "99" }))).toBe(7_000);
    expect(rateLimitHoldMs(429, h({}), 0, 5_000)).toBe(5_000);
  });
});
