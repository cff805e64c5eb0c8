import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { TOKENS, startHarness } from "../test-support/harness.js";

/** Every error, fastify's own included, answers `{ "error": { "code", "message" } }` and nothing else. */
describe("one error format", () => {
  const redis = useRedis();

  const expectOurFormat = (body: unknown): void => {
    expect(Object.keys(body as object)).toEqual(["error"]);
    const { error } = body as { error: Record<string, unknown> };
    expect(typeof error["code"]).toBe("string");
    expect(typeof error["message"]).toBe("string");
    expect(Object.keys(error).every((k) => ["code", "message", "issues"].includes(k))).toBe(true);
  };

  it.each([
    ["bad URL encoding", "/v1/builds/%u0030", 400, "VALIDATION_FAILED"],
    // Not fastify's 414: the URI is not too long, one parameter is (and no build id is that long).
    ["an over-long id", `/v1/builds/${"a".repeat(150)}`, 400, "VALIDATION_FAILED"],
    ["an over-long id on a sub-route", `/v1/builds/${"a".repeat(150)}/logs`, 400, "VALIDATION_FAILED"],
  ])("answers %s in the error format", async (_what, url, status, code) => {
    const h = await startHarness(redis);
    const res = await h.inject(TOKENS.teamA, { method: "GET", url });
    expect(res.statusCode).toBe(status);
    expectOurFormat(res.json());
    expect(res.json()).toMatchObject({ error: { code } });
  });

  it.each(["/v1/builds?__proto__=1", "/v1/events?__proto__=1", "/v1/builds?constructor=1"])(
    "names an unknown %s parameter without [object Object]",
    async (url) => {
      const h = await startHarness(redis);
      const res = await h.inject(TOKENS.teamA, { method: "GET", url });
      expect(res.statusCode).toBe(400);
      expectOurFormat(res.json());
      expect(res.body).not.toContain("[object Object]");
      expect(res.body).not.toContain("function");
    },
  );
});
