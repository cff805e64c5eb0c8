import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { REQUEST, TOKENS, logSink, startHarness } from "../test-support/harness.js";

/** Credentials a client sends by mistake never come back in an answer or go into a log line. */
describe("credential redaction", () => {
  const redis = useRedis();
  const SECRET = "ghp_S3cr3tT0kenValue";

  it("refuses a context URL with userinfo without repeating the credential, in the answer or the log", async () => {
    const sink = logSink();
    const h = await startHarness(redis, { env: { LOG_LEVEL: "debug" }, logDestination: sink.stream });
    const res = await h.inject(TOKENS.teamA, {
      method: "POST",
      url: "/v1/builds",
      payload: { ...REQUEST, context: { type: "git", url: `https://user:${SECRET}@github.com/x.git` } },
    });

    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { issues: { path: string }[] } }>().error.issues.map((i) => i.path)).toContain("context.url");
    expect(res.body).toContain("embeds credentials");
    expect(res.body).not.toContain(SECRET);
    expect(res.body).toContain("github.com/x.git");
    expect(sink.lines().length).toBeGreaterThan(0);
    expect(sink.text()).not.toContain(SECRET);
  });

  it("redacts token-like query parameters in the request log and in answers", async () => {
    const sink = logSink();
    const h = await startHarness(redis, { env: { LOG_LEVEL: "info" }, logDestination: sink.stream });
    const res = await h.inject(TOKENS.teamA, { method: "GET", url: `/v1/builds?state=queued&token=${SECRET}&X-Amz-Signature=${SECRET}` });
    expect(res.statusCode).toBe(400); // `token` is not a list parameter
    expect(res.body).not.toContain(SECRET);
    await h.inject(undefined, { method: "GET", url: `/v1/nowhere?access_token=${SECRET}` });

    const incoming = sink.lines().filter((l) => l["msg"] === "incoming request");
    expect(incoming.map((l) => (l["req"] as { url: string }).url)).toEqual([
      "/v1/builds?state=queued&token=[redacted]&X-Amz-Signature=[redacted]",
      "/v1/nowhere?access_token=[redacted]",
    ]);
    expect(sink.text()).not.toContain(SECRET);
  });

  it("redacts userinfo in a tarball URL given in the query of a route (the message and the log)", async () => {
    const sink = logSink();
    const h = await startHarness(redis, { env: { LOG_LEVEL: "info" }, logDestination: sink.stream });
    const url = encodeURIComponent(`https://bob:${SECRET}@example.com/x.tar.gz`);
    const res = await h.inject(TOKENS.teamA, { method: "GET", url: `/v1/events?since=${url}` });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain(SECRET);
    expect(sink.text()).not.toContain(SECRET);
  });
});
