import { ConflictError, InfrastructureError, NotFoundError, RateLimitedError, ValidationError } from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import { errorResponse } from "./error-response.js";

describe("errorResponse", () => {
  it("answers validation errors 400 with every issue", () => {
    const res = errorResponse(new ValidationError([{ path: "destinations[0]", message: "bad", example: "r/x:v1" }]));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "VALIDATION_FAILED", issues: [{ path: "destinations[0]", message: "bad", example: "r/x:v1" }] });
  });

  it.each([
    [new NotFoundError("build x not found"), 404, "NOT_FOUND"],
    [new ConflictError("finished"), 409, "CONFLICT"],
    [new InfrastructureError("redis down"), 503, "INFRASTRUCTURE"],
  ])("maps %s by its code", (err, status, code) => {
    const res = errorResponse(err);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error).not.toHaveProperty("issues");
  });

  it("carries Retry-After for rate limits", () => {
    expect(errorResponse(new RateLimitedError("slow down", { retryAfterSeconds: 7 }))).toMatchObject({ status: 429, retryAfterSeconds: 7 });
  });

  it("maps fastify's body errors: too large 413, bad JSON and media type 400", () => {
    expect(errorResponse(Object.assign(new Error("too big"), { code: "FST_ERR_CTP_BODY_TOO_LARGE", statusCode: 413 })).status).toBe(413);
    const bad = errorResponse(Object.assign(new SyntaxError("Unexpected token"), { statusCode: 400, code: "FST_ERR_CTP_INVALID_JSON_BODY" }));
    expect(bad).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED" } } });
    expect(errorResponse(Object.assign(new Error("x"), { code: "FST_ERR_CTP_INVALID_MEDIA_TYPE", statusCode: 415 })).status).toBe(400);
    const proto = errorResponse(Object.assign(new SyntaxError("Object contains forbidden prototype property"), { statusCode: 400 }));
    expect(proto.body.error.issues?.[0]?.path).toBe("__proto__");
  });

  it("hides the details of server faults", () => {
    const res = errorResponse(new Error("connect ECONNREFUSED 10.0.0.7:6379 password=hunter2"));
    expect(res.status).toBe(500);
    expect(res.serverFault).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain("hunter2");
    expect(errorResponse(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })).status).toBe(503);
  });
});
