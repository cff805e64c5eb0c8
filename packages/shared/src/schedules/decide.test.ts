import { describe, expect, it } from "vitest";
import { basesUnchanged, concurrencyDecision, dueFiring, firingKey, mirrorBuildRequest, sourceUnchanged } from "./decide.js";
import { cascadeDecision } from "./cascade.js";
import type { BuildRecord } from "../contract/index.js";
import { latestFire, nextFire } from "./cron.js";

const spec = { cron: "* * * * *", timeZone: "UTC", startingDeadlineSeconds: 300, suspend: false };
const at = (iso: string) => new Date(iso);

describe("cron", () => {
  it("fires hourly schedules at local midnight in the schedule's time zone", () => {
    // 23:00 UTC on 1 Jan is 00:00 in Berlin (CET, +1).
    expect(nextFire("0 0 * * *", "Europe/Berlin", at("2026-01-01T12:00:00Z")).toISOString()).toBe("2026-01-01T23:00:00.000Z");
  });

  it("counts an exact hit as the latest firing", () => {
    expect(latestFire("0 * * * *", "UTC", at("2026-01-01T10:00:00Z"))?.toISOString()).toBe("2026-01-01T10:00:00.000Z");
  });
});

describe("dueFiring", () => {
  it("fires the scheduled time that passed since the last one handled", () => {
    expect(dueFiring(spec, at("2026-01-01T10:00:00Z"), at("2026-01-01T10:01:05Z"))).toEqual({ kind: "fire", fireAt: at("2026-01-01T10:01:00Z") });
  });

  it("fires nothing twice for one scheduled time", () => {
    expect(dueFiring(spec, at("2026-01-01T10:01:00Z"), at("2026-01-01T10:01:30Z"))).toEqual({ kind: "none" });
  });

  it("catches up an hour of downtime with one firing, the latest", () => {
    expect(dueFiring(spec, at("2026-01-01T10:00:00Z"), at("2026-01-01T11:00:20Z"))).toEqual({ kind: "fire", fireAt: at("2026-01-01T11:00:00Z") });
  });

  it("skips a firing missed by more than startingDeadlineSeconds", () => {
    const hourly = { ...spec, cron: "0 * * * *" };
    expect(dueFiring(hourly, at("2026-01-01T09:00:00Z"), at("2026-01-01T10:30:00Z"))).toEqual({ kind: "missed", fireAt: at("2026-01-01T10:00:00Z") });
  });

  it("never fires a suspended schedule", () => {
    expect(dueFiring({ ...spec, suspend: true }, at("2026-01-01T10:00:00Z"), at("2026-01-01T10:05:00Z"))).toEqual({ kind: "none" });
  });
});

describe("concurrency and change detection", () => {
  it("follows Forbid, Replace and Allow for a build still running", () => {
    expect(concurrencyDecision("Forbid", "b1")).toEqual({ kind: "skip-running", buildId: "b1" });
    expect(concurrencyDecision("Replace", "b1")).toEqual({ kind: "replace", buildId: "b1" });
    expect(concurrencyDecision("Allow", "b1")).toEqual({ kind: "run" });
    expect(concurrencyDecision("Forbid", undefined)).toEqual({ kind: "run" });
  });

  it("skips only when the source digest equals the one of the last successful mirror", () => {
    expect(sourceUnchanged(true, "sha256:a", "sha256:a")).toBe(true);
    expect(sourceUnchanged(true, "sha256:b", "sha256:a")).toBe(false);
    expect(sourceUnchanged(true, "sha256:a", undefined)).toBe(false);
    expect(sourceUnchanged(false, "sha256:a", "sha256:a")).toBe(false);
  });

  it("skips an image only when every base has the digest of the last success, and no base came or went", () => {
    const last = { "docker.io/library/alpine:3.20": "sha256:a", "docker.io/library/busybox:1.36": "sha256:b" };
    expect(basesUnchanged(true, { ...last }, last)).toBe(true);
    expect(basesUnchanged(true, { ...last, "docker.io/library/busybox:1.36": "sha256:c" }, last)).toBe(false);
    expect(basesUnchanged(true, { "docker.io/library/alpine:3.20": "sha256:a" }, last)).toBe(false);
    expect(basesUnchanged(true, last, undefined)).toBe(false);
    expect(basesUnchanged(false, last, last)).toBe(false);
    expect(basesUnchanged(true, {}, {})).toBe(false);
  });

  it("follows only a finished, successful build with a digest; whether it rebuilds anything is decided per dependent", () => {
    const rec = (state: BuildRecord["state"], digest?: string) => ({ state, ...(digest ? { digest } : {}) }) as BuildRecord;
    expect(cascadeDecision(rec("running"))).toEqual({ kind: "wait" });
    expect(cascadeDecision(rec("failed"))).toEqual({ kind: "none", why: "not-succeeded" });
    expect(cascadeDecision(undefined)).toEqual({ kind: "none", why: "not-succeeded" });
    expect(cascadeDecision(rec("succeeded"))).toEqual({ kind: "none", why: "not-succeeded" });
    expect(cascadeDecision(rec("succeeded", "sha256:b"))).toEqual({ kind: "follow", digest: "sha256:b" });
  });

  it("pins the mirror build to the digest it checked", () => {
    const digest = `sha256:${"b".repeat(64)}`;
    const req = mirrorBuildRequest({ source: "127.0.0.1:5000/library/busybox:latest", destinations: ["127.0.0.1:5000/mirror/busybox:1.0"] }, digest, { scheduleName: "m", idempotencyKey: "k" });
    expect(req.dockerfile).toEqual({ inline: `FROM 127.0.0.1:5000/library/busybox@${digest}\n` });
    expect(req.destinations).toEqual(["127.0.0.1:5000/mirror/busybox:1.0"]);
  });

  it("keys a firing by schedule and scheduled time, in the idempotency key syntax", () => {
    expect(firingKey("busybox-mirror", at("2026-01-01T10:00:00Z"))).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
  });
});
