import { ApiException } from "@kubernetes/client-node";
import { isRetryable } from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import { k8sErrorFromResponse, k8sErrorFromWatchStatus, parseStatusBody, toK8sError } from "./errors.js";

function status(code: number, reason: string, message = `${reason} happened`, details?: object): string {
  return JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message, details });
}

const SECRET_HEADERS = { authorization: "Bearer s3cr3t-token", "set-cookie": "session=abc" };

describe("toK8sError", () => {
  it.each([
    [404, "NotFound", "NOT_FOUND", false],
    [409, "AlreadyExists", "ALREADY_EXISTS", false],
    [409, "Conflict", "CONFLICT", true],
    [410, "Expired", "GONE", true],
    [422, "Invalid", "INVALID", false],
    [429, "TooManyRequests", "RATE_LIMITED", true],
    [500, "InternalError", "UNAVAILABLE", true],
    [503, "ServiceUnavailable", "UNAVAILABLE", true],
    [504, "Timeout", "UNAVAILABLE", true],
  ] as const)("maps %i %s to %s (retryable %s)", (code, reason, expected, retryable) => {
    const err = toK8sError(new ApiException(code, "msg", status(code, reason), SECRET_HEADERS), "create Job b-x");
    expect(err.code).toBe(expected);
    expect(err.retryable).toBe(retryable);
    expect(isRetryable(err)).toBe(retryable);
    expect(err.reason).toBe(reason);
    expect(err.status).toBe(code);
  });

  it("never carries the headers that ApiException puts in its message", () => {
    const raw = new ApiException(403, "forbidden", status(403, "Forbidden"), SECRET_HEADERS);
    expect(raw.message).toContain("s3cr3t"); // the reason this module exists
    const err = toK8sError(raw, "list pods");
    expect(err.message).not.toContain("s3cr3t");
    expect(JSON.stringify(err)).not.toContain("s3cr3t");
    expect(err.message).toBe("list pods: FORBIDDEN (403): Forbidden happened");
  });

  it("reads Retry-After from the header, else from the Status details", () => {
    expect(toK8sError(new ApiException(429, "", status(429, "TooManyRequests"), { "Retry-After": "7" }), "x").retryAfterSeconds).toBe(7);
    const fromBody = new ApiException(429, "", status(429, "TooManyRequests", "slow down", { retryAfterSeconds: 3 }), {});
    expect(toK8sError(fromBody, "x").retryAfterSeconds).toBe(3);
  });

  it("survives bodies that are not a Status (HTML, empty, an object)", () => {
    expect(toK8sError(new ApiException(502, "", "<html>bad gateway</html>", {}), "x")).toMatchObject({ code: "UNAVAILABLE", status: 502 });
    expect(toK8sError(new ApiException(404, "", undefined, {}), "x")).toMatchObject({ code: "NOT_FOUND" });
    expect(toK8sError(new ApiException(409, "", { reason: "AlreadyExists" }, {}), "x")).toMatchObject({ code: "ALREADY_EXISTS" });
    expect(parseStatusBody("x".repeat(10))).toEqual({});
  });

  it("maps a watch's HTTP error (statusCode) and a watch ERROR event", () => {
    const httpErr = Object.assign(new Error("Gone"), { statusCode: 410 });
    expect(toK8sError(httpErr, "watch jobs").code).toBe("GONE");
    expect(k8sErrorFromWatchStatus({ kind: "Status", code: 410, reason: "Expired", message: "too old resource version" }, "watch jobs")).toMatchObject({
      code: "GONE",
      status: 410,
    });
  });

  it("treats deadlines and network errors as retryable UNAVAILABLE", () => {
    const abort = Object.assign(new Error("The operation was aborted"), { name: "AbortError" });
    expect(toK8sError(abort, "read Job")).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    expect(toK8sError(refused, "read Job").message).toBe("read Job: network error ECONNREFUSED");
  });

  it("names TLS failures by their code, not by their message", () => {
    for (const code of ["DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "ERR_TLS_CERT_ALTNAME_INVALID", "CERT_HAS_EXPIRED"]) {
      const err = toK8sError(Object.assign(new Error(`details of ${code}`), { code }), "read Job");
      expect(err).toMatchObject({ code: "UNAVAILABLE", retryable: true, message: `read Job: TLS error ${code}` });
    }
  });
});

describe("k8sErrorFromResponse", () => {
  it("maps a raw answer from node's http client: lower-case headers, text body", () => {
    const err = k8sErrorFromResponse(429, status(429, "TooManyRequests", "slow down"), { "retry-after": "2", "set-cookie": ["s3cr3t"] }, "list Jobs");
    expect(err).toMatchObject({ code: "RATE_LIMITED", status: 429, reason: "TooManyRequests", retryAfterSeconds: 2 });
    expect(err.message).toBe("list Jobs: RATE_LIMITED (429): slow down");
    expect(JSON.stringify(err)).not.toContain("s3cr3t");
  });
});
