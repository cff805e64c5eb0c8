import { describe, expect, it } from "vitest";
import { newBuildId } from "./build-id.js";
import { BuildRecord, QueuedBuild } from "./build-record.js";
import { parseBuildRequest } from "./validate.js";

const request = parseBuildRequest({
  context: { type: "inline", files: {} },
  dockerfile: { inline: "FROM busybox:latest" },
  destinations: ["registry.internal:5000/mirror/busybox:1.36", "registry.internal:5000/mirror/busybox:latest"],
});
const id = newBuildId({ now: 1_717_243_200_000 });
const createdAt = "2024-06-01T12:00:00.000Z";

describe("QueuedBuild", () => {
  it("accepts the payload the API enqueues, after a JSON round trip", () => {
    const payload = { buildId: id, tenant: "team-a", request, submittedAt: createdAt };
    expect(QueuedBuild.parse(JSON.parse(JSON.stringify(payload)))).toEqual(payload);
  });

  it("refuses a tenant that could break keys or labels, and a bad build id", () => {
    const result = QueuedBuild.safeParse({ buildId: "1234", tenant: "team:a", request, submittedAt: createdAt });
    expect(result.success).toBe(false);
    expect([...new Set(result.error?.issues.map((i) => i.path.join(".")))]).toEqual(["buildId", "tenant"]);
  });
});

describe("BuildRecord", () => {
  const record = {
    id,
    tenant: "team-a",
    state: "succeeded",
    request,
    jobName: "b-busybox-01hzx",
    attempts: [{ index: 1, podName: "b-busybox-01hzx-abcde", startedAt: createdAt, finishedAt: createdAt, exitCode: 0 }],
    digest: `sha256:${"0f".repeat(32)}`,
    labels: {},
    createdAt,
    updatedAt: createdAt,
    startedAt: createdAt,
    finishedAt: createdAt,
    sequence: 4,
  };

  it("accepts a finished build and survives a JSON round trip", () => {
    expect(BuildRecord.parse(JSON.parse(JSON.stringify(record)))).toEqual(record);
  });

  it("defaults attempts and labels for a fresh record", () => {
    const fresh = BuildRecord.parse({ id, tenant: "t", state: "queued", request, createdAt, updatedAt: createdAt, sequence: 0 });
    expect(fresh.attempts).toEqual([]);
    expect(fresh.labels).toEqual({});
  });

  it("refuses misspelt fields, bad digests and non-ISO times", () => {
    const result = BuildRecord.safeParse({ ...record, digets: "x", digest: "sha256:xyz", updatedAt: "yesterday" });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join(".")).sort()).toEqual(["", "digest", "updatedAt"]);
  });

  it("records a failure with a known reason only", () => {
    expect(BuildRecord.safeParse({ ...record, state: "failed", failure: { reason: "OOMKilled", message: "memory limit 512Mi" } }).success).toBe(true);
    expect(BuildRecord.safeParse({ ...record, state: "failed", failure: { reason: "Oops", message: "x" } }).success).toBe(false);
  });
});

describe("BuildRecord cancel mark", () => {
  it("carries a pending cancel request and who asked", () => {
    const base = { id, tenant: "t", state: "running", request, createdAt, updatedAt: createdAt, sequence: 2 };
    const marked = BuildRecord.parse({ ...base, cancelRequestedAt: createdAt, cancelledBy: "alice" });
    expect(marked.cancelRequestedAt).toBe(createdAt);
    expect(marked.cancelledBy).toBe("alice");
    expect(BuildRecord.safeParse({ ...base, cancelRequestedAt: "soon" }).success).toBe(false);
  });
});
