import { describe, expect, it } from "vitest";
import type { BuildEvent, BuildRequest } from "../api/types";
import { ago, describeEvent, duration, listQuery, queueState, requestYaml, retryRequest } from "./format";
import { matchPath } from "../router";

const request = {
  context: { type: "git", url: "https://git.example/app.git" },
  destinations: ["registry.internal:5000/team-a/app:v1"],
  idempotencyKey: "release-1",
} as unknown as BuildRequest;

describe("dashboard formatting", () => {
  it("says how long ago, in seconds, minutes, hours, then the date", () => {
    const now = Date.parse("2026-12-02T12:00:00Z");
    expect(ago("2026-12-02T11:59:50Z", now)).toBe("10 s ago");
    expect(ago("2026-12-02T11:55:00Z", now)).toBe("5 min ago");
    expect(ago("2026-12-02T09:00:00Z", now)).toBe("3 h ago");
    expect(ago("2026-11-01T09:00:00Z", now)).toBe("2026-11-01");
    expect(ago(undefined, now)).toBe("–");
  });

  it("measures a run from start to finish, or to now while running", () => {
    expect(duration({ startedAt: "2026-12-02T12:00:00Z", finishedAt: "2026-12-02T12:01:05Z" })).toBe("1 min 5 s");
    expect(duration({ startedAt: "2026-12-02T12:00:00Z" }, Date.parse("2026-12-02T12:00:09Z"))).toBe("9 s");
    expect(duration({})).toBe("–");
  });

  it("retries without the idempotency key, which would return the old build", () => {
    const again = retryRequest(request);
    expect(again).not.toHaveProperty("idempotencyKey");
    expect(again.destinations).toEqual(request.destinations);
  });

  it("writes the request as YAML", () => {
    expect(requestYaml(request)).toContain("destinations:\n  - registry.internal:5000/team-a/app:v1");
  });

  it("describes each event type", () => {
    const ev = (type: string, data: object) => ({ type, data }) as unknown as BuildEvent;
    expect(describeEvent(ev("build.failed", { reason: "OOMKilled", message: "out of memory" }))).toBe("failed (OOMKilled): out of memory");
    expect(describeEvent(ev("build.cancelled", { by: "api:team-a" }))).toBe("cancelled by api:team-a");
  });

  it("builds the list query from the filter, one label parameter per label", () => {
    expect(listQuery({ state: "running", label: "team=a, env=prod", tenant: "" })).toBe("state=running&label=team%3Da&label=env%3Dprod&limit=50");
  });

  it("matches page paths and decodes their parameters", () => {
    expect(matchPath("/builds/:id", "/builds/abc")).toEqual({ id: "abc" });
    expect(matchPath("/", "/")).toEqual({});
    expect(matchPath("/queue", "/builds/abc")).toBeUndefined();
  });
});

describe("queueState", () => {
  const drain = { since: "2026-01-01T00:00:00.000Z", by: "api:ops", cancelQueued: false, rejectNew: false };
  it("says draining or drained over paused, and paused over taking builds", () => {
    expect(queueState({ paused: false, drain: null })).toBe("taking builds");
    expect(queueState({ paused: true, drain: null })).toBe("paused");
    expect(queueState({ paused: true, drain: { ...drain, state: "draining" } })).toBe("draining");
    expect(queueState({ paused: true, drain: { ...drain, state: "drained" } })).toBe("drained");
  });
});
