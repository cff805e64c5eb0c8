import { ConfigError, InfrastructureError, RateLimitedError, ValidationError } from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import { HandBackError, InvalidBuildError } from "../builds/run-build.js";
import { K8sError, k8sErrorFromResponse, toK8sError } from "../k8s/errors.js";
import { decideRetry, exhausted } from "./retry-policy.js";

const forbiddenBody = {
  kind: "Status",
  code: 403,
  reason: "Forbidden",
  message: 'jobs.batch is forbidden: User "system:serviceaccount:buildfleet:worker" cannot create resource "jobs" in API group "batch" in the namespace "buildfleet"',
};

describe("retry policy: one row per error class", () => {
  it("hands a build back on shutdown", () => {
    expect(decideRetry(new HandBackError())).toEqual({ action: "hand-back" });
  });

  it("fails an invalid build at once as InvalidRequest", () => {
    expect(decideRetry(new InvalidBuildError("Job b-x belongs to another build"))).toMatchObject({ action: "fail", reason: "InvalidRequest" });
  });

  it("keeps a 422 from the API server as InvalidRequest", () => {
    const err = k8sErrorFromResponse(422, { reason: "Invalid", message: "spec.template: Invalid value" }, {}, "create Job b-x");
    const decision = decideRetry(err);
    expect(decision).toMatchObject({ action: "fail", reason: "InvalidRequest" });
    expect(decision.action === "fail" && decision.message).toContain("spec.template");
  });

  it("fails a 403 at once as PermissionDenied, naming verb, resource and namespace", () => {
    const decision = decideRetry(k8sErrorFromResponse(403, JSON.stringify(forbiddenBody), {}, "create Job b-x"));
    expect(decision).toMatchObject({ action: "fail", reason: "PermissionDenied" });
    expect(decision.action === "fail" && decision.message).toMatch(/cannot create resource "jobs" .* in the namespace "buildfleet"/);
  });

  it("fails a 401 at once as PermissionDenied", () => {
    expect(decideRetry(k8sErrorFromResponse(401, { reason: "Unauthorized" }, {}, "create Job b-x"))).toMatchObject({
      action: "fail",
      reason: "PermissionDenied",
    });
  });

  it("retries a 429 no sooner than its Retry-After", () => {
    const err = k8sErrorFromResponse(429, { reason: "TooManyRequests" }, { "Retry-After": "7" }, "create Job b-x");
    expect(decideRetry(err)).toEqual({ action: "retry", minDelayMs: 7_000 });
    expect(decideRetry(k8sErrorFromResponse(429, {}, {}, "create Job b-x"))).toEqual({ action: "retry" });
  });

  it.each([500, 502, 503, 504])("retries a %i from the API server", (status) => {
    expect(decideRetry(k8sErrorFromResponse(status, {}, {}, "create Job b-x"))).toEqual({ action: "retry" });
  });

  it("retries a timeout and a network error of the Kubernetes client", () => {
    expect(decideRetry(toK8sError(Object.assign(new Error("x"), { name: "TimeoutError" }), "create Job b-x"))).toEqual({ action: "retry" });
    expect(decideRetry(toK8sError(Object.assign(new Error("x"), { code: "ECONNRESET" }), "create Job b-x"))).toEqual({ action: "retry" });
  });

  it("retries a 409 conflict and a 410 relist", () => {
    expect(decideRetry(new K8sError("CONFLICT", "update: conflict"))).toEqual({ action: "retry" });
    expect(decideRetry(new K8sError("GONE", "watch: gone"))).toEqual({ action: "retry" });
  });

  it("retries Redis errors (network codes and ioredis' codeless ones)", () => {
    expect(decideRetry(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" }))).toEqual({ action: "retry" });
    expect(decideRetry(new Error("Connection is closed."))).toEqual({ action: "retry" });
    expect(decideRetry(new InfrastructureError("redis down"))).toEqual({ action: "retry" });
    expect(decideRetry(new RateLimitedError("slow down"))).toEqual({ action: "retry" });
  });

  it("fails at once what is marked non-retryable, by data not class", () => {
    expect(decideRetry(new InfrastructureError("quota gone", {}, { retryable: false }))).toMatchObject({ action: "fail", reason: "InfrastructureError", message: "quota gone" });
    expect(decideRetry(new ConfigError("bad BUILD_NAMESPACE"))).toMatchObject({ action: "fail", reason: "InfrastructureError" });
    expect(decideRetry(new ValidationError([]))).toMatchObject({ action: "fail", reason: "InfrastructureError" });
    // A plain object with the same data (another copy of the package, rebuilt from JSON) is classified the same.
    expect(decideRetry({ code: "FORBIDDEN", message: "denied" })).toMatchObject({ action: "fail", reason: "PermissionDenied" });
  });

  it("turns a retry with no attempt left into a failure carrying the last error", () => {
    expect(exhausted(new Error("create Job b-x: UNAVAILABLE (500): boom"), 5)).toEqual({
      action: "fail",
      reason: "InfrastructureError",
      message: "gave up after 5 attempts: create Job b-x: UNAVAILABLE (500): boom",
    });
  });
});
