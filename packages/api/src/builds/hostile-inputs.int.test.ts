import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { REQUEST, TOKENS, startHarness, type ApiHarness } from "../test-support/harness.js";

/**
 * Hostile and broken submissions: each is answered 400 naming the field (413
 * for size), and nothing reaches Redis — no queue entry, no build, index,
 * idempotency or event keys.
 */

type Case = [what: string, payload: unknown, field: string];

const dest = REQUEST.destinations;
const CASES: Case[] = [
  ["destinations of the wrong type", { ...REQUEST, destinations: "registry.internal:5000/team-a/app:v1" }, "destinations"],
  ["retries as a string", { ...REQUEST, retries: "3" }, "retries"],
  ["priority out of the enum", { ...REQUEST, priority: "urgent" }, "priority"],
  ["an unknown top-level field", { ...REQUEST, privileged: true }, "privileged"],
  ["an unknown nested field", { ...REQUEST, context: { ...REQUEST.context, hostPath: "/" } }, "context"],
  ["a newline in a build arg value", { ...REQUEST, buildArgs: { VERSION: "1.0\n--insecure" } }, "buildArgs.VERSION"],
  ["a flag-like build arg name", { ...REQUEST, buildArgs: { "--insecure": "true" } }, "buildArgs"],
  ["a build arg name with '='", { ...REQUEST, buildArgs: { "A=B": "x" } }, "buildArgs"],
  ["a space in an image reference", { ...REQUEST, destinations: ["registry.internal:5000/team-a/my app:v1"] }, "destinations[0]"],
  ["a flag-like image reference", { ...REQUEST, destinations: ["--insecure-registry=evil"] }, "destinations[0]"],
  ["../ in the Dockerfile path", { ...REQUEST, dockerfile: { path: "../../etc/passwd" } }, "dockerfile.path"],
  ["an absolute Dockerfile path", { ...REQUEST, dockerfile: { path: "/etc/passwd" } }, "dockerfile.path"],
  ["../ in the volume path", { ...REQUEST, context: { ...REQUEST.context, path: "../other-team" } }, "context.path"],
  ["a flag-like target", { ...REQUEST, target: "--no-push" }, "target"],
  ["a reserved label", { ...REQUEST, labels: { "buildfleet.dev/build-id": "x" } }, "labels"],
  ["a __proto__ key", JSON.parse(`{"context":${JSON.stringify(REQUEST.context)},"destinations":${JSON.stringify(dest)},"__proto__":{"x":1}}`), "__proto__"],
  ["no destinations", { ...REQUEST, destinations: [] }, "destinations"],
  ["an array body", [REQUEST], ""],
  ["a null body", null, ""],
];

async function expectNothingWritten(h: ApiHarness): Promise<void> {
  expect(await h.queue.getJobCounts("waiting", "prioritized", "active", "delayed", "completed", "failed")).toEqual({
    waiting: 0,
    prioritized: 0,
    active: 0,
    delayed: 0,
    completed: 0,
    failed: 0,
  });
  expect(await h.buildKeys()).toEqual([]);
}

describe("hostile submissions", () => {
  const redis = useRedis();

  it.each(CASES)("answers 400 for %s, naming the field, and writes nothing", async (_what, payload, field) => {
    const h = await startHarness(redis);
    const res = await h.inject(TOKENS.teamA, {
      method: "POST",
      url: "/v1/builds",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify(payload),
    });
    expect(res.statusCode).toBe(400);
    const { error } = res.json<{ error: { code: string; issues: { path: string; message: string }[] } }>();
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.issues.length).toBeGreaterThan(0);
    const paths = error.issues.map((i) => i.path);
    if (field === "") expect(paths).toContain("");
    else expect(paths.some((p) => p === field || p.startsWith(`${field}.`) || p.startsWith(`${field}[`)), paths.join(", ")).toBe(true);
    await expectNothingWritten(h);
  });

  it("answers 400 for a body that is not JSON, and for another content type", async () => {
    const h = await startHarness(redis);
    const broken = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", headers: { "content-type": "application/json" }, payload: '{"context":' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ error: { code: "VALIDATION_FAILED" } });
    const text = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", headers: { "content-type": "text/plain" }, payload: "FROM busybox" });
    expect(text.statusCode).toBe(400);
    await expectNothingWritten(h);
  });

  it("answers 413 for a body over the limit, before validating it", async () => {
    const h = await startHarness(redis, { env: { API_BODY_LIMIT_BYTES: "65536" } });
    const huge = { ...REQUEST, buildArgs: { PAD: "x".repeat(70_000) } };
    const res = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/builds", payload: huge });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
    await expectNothingWritten(h);
  });

  it("answers 413 at the default 1 MiB limit, and 400 for a large body under it that breaks a field limit", async () => {
    const h = await startHarness(redis);
    const over = await h.inject(TOKENS.teamA, {
      method: "POST",
      url: "/v1/builds",
      payload: { ...REQUEST, context: { type: "inline", files: { Dockerfile: "FROM busybox\n", big: "x".repeat(1024 * 1024) } } },
    });
    expect(over.statusCode).toBe(413);
    const under = await h.inject(TOKENS.teamA, {
      method: "POST",
      url: "/v1/builds",
      payload: { ...REQUEST, registryCredentials: undefined, context: { type: "inline", files: { Dockerfile: "FROM busybox\n", big: "x".repeat(600 * 1024) } } },
    });
    expect(under.statusCode).toBe(400);
    expect(under.json<{ error: { issues: { path: string }[] } }>().error.issues.map((i) => i.path)).toContain("context.files");
    await expectNothingWritten(h);
  });

  it("does not parse the body of an unauthenticated request", async () => {
    const h = await startHarness(redis, { env: { API_BODY_LIMIT_BYTES: "65536" } });
    const res = await h.app.inject({ method: "POST", url: "/v1/builds", payload: { pad: "x".repeat(70_000) } });
    // 401, not 413: authentication comes first.
    expect(res.statusCode).toBe(401);
  });
});
