import { describe, expect, it } from "vitest";
import {
  BuildfleetError,
  ConfigError,
  ConflictError,
  ForbiddenError,
  InfrastructureError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  UnauthorizedError,
  ValidationError,
  summariseIssues,
} from "./errors.js";
import { errorCode, httpStatusForCode, isRetryable } from "./classify.js";

describe("error classes", () => {
  it.each([
    [new ValidationError([]), "ValidationError", "VALIDATION_FAILED", false],
    [new NotFoundError("build 01j not found"), "NotFoundError", "NOT_FOUND", false],
    [new ConflictError("idempotency key reused"), "ConflictError", "CONFLICT", false],
    [new UnauthorizedError(), "UnauthorizedError", "UNAUTHORIZED", false],
    [new ForbiddenError(), "ForbiddenError", "FORBIDDEN", false],
    [new RateLimitedError("slow down"), "RateLimitedError", "RATE_LIMITED", true],
    [new PayloadTooLargeError("too big"), "PayloadTooLargeError", "PAYLOAD_TOO_LARGE", false],
    [new InfrastructureError("redis down"), "InfrastructureError", "INFRASTRUCTURE", true],
    [new ConfigError("bad env"), "ConfigError", "CONFIG_INVALID", false],
  ] as const)("%s has name %s, code %s, retryable %s", (err, name, code, retryable) => {
    expect(err).toBeInstanceOf(BuildfleetError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe(name);
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(retryable);
    expect(isRetryable(err)).toBe(retryable);
  });

  it("keeps details and cause", () => {
    const cause = new Error("ECONNREFUSED 127.0.0.1:6379");
    const err = new InfrastructureError("cannot reach Redis", { host: "127.0.0.1" }, { cause });
    expect(err.details).toEqual({ host: "127.0.0.1" });
    expect(err.cause).toBe(cause);
    expect(err.message).toBe("cannot reach Redis");
  });

  it("lets a caller override retryability (e.g. an infrastructure fault known to be permanent)", () => {
    const err = new InfrastructureError("namespace does not exist", undefined, { retryable: false });
    expect(err.retryable).toBe(false);
    expect(isRetryable(err)).toBe(false);
  });

  it("ValidationError keeps the issues and summarises them with path, message and example", () => {
    const err = new ValidationError([
      { path: "destinations[0]", message: "contains a space", example: "registry.example.com/team/app:v1" },
      { path: "retries", message: "expected at most 10, got 11" },
    ]);
    expect(err.issues).toHaveLength(2);
    expect(err.details).toEqual({ issues: err.issues });
    expect(err.message).toBe(
      "invalid request: destinations[0]: contains a space (example: registry.example.com/team/app:v1); retries: expected at most 10, got 11",
    );
  });

  it("summarises a whole-document issue without an empty path prefix", () => {
    expect(summariseIssues([{ path: "", message: "expected an object, got array" }])).toBe(
      "invalid request: expected an object, got array",
    );
  });

  it("RateLimitedError exposes retryAfterSeconds for a Retry-After header", () => {
    expect(new RateLimitedError("tenant over quota", { retryAfterSeconds: 30 }).retryAfterSeconds).toBe(30);
  });
});

describe("httpStatusForCode", () => {
  it.each([
    ["VALIDATION_FAILED", 400],
    ["UNAUTHORIZED", 401],
    ["FORBIDDEN", 403],
    ["NOT_FOUND", 404],
    ["CONFLICT", 409],
    ["PAYLOAD_TOO_LARGE", 413],
    ["RATE_LIMITED", 429],
    ["INTERNAL", 500],
    ["CONFIG_INVALID", 500],
    ["INFRASTRUCTURE", 503],
    ["ECONNRESET", 500],
    ["toString", 500],
  ])("maps %s to %i", (code, status) => {
    expect(httpStatusForCode(code)).toBe(status);
  });
});

describe("isRetryable", () => {
  it("classifies by code for errors that are not our instances (another package copy, JSON)", () => {
    expect(isRetryable({ code: "NOT_FOUND", message: "x" })).toBe(false);
    expect(isRetryable({ code: "VALIDATION_FAILED" })).toBe(false);
    expect(isRetryable({ code: "INFRASTRUCTURE" })).toBe(true);
    expect(isRetryable(Object.assign(new Error("connect"), { code: "ECONNREFUSED" }))).toBe(true);
  });

  it("honours an explicit retryable flag over the code", () => {
    expect(isRetryable({ code: "INFRASTRUCTURE", retryable: false })).toBe(false);
    expect(isRetryable({ code: "CONFLICT", retryable: true })).toBe(true);
  });

  it("treats errors it cannot classify as retryable (bounded by the attempts budget)", () => {
    expect(isRetryable(new TypeError("x is undefined"))).toBe(true);
    expect(isRetryable("a thrown string")).toBe(true);
  });

  it("reads the code of any error-like value", () => {
    expect(errorCode(new ConflictError("dup"))).toBe("CONFLICT");
    expect(errorCode({ code: 409 })).toBeUndefined();
    expect(errorCode(null)).toBeUndefined();
  });
});
