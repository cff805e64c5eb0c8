import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { flagValues, isKanikoContainer, isKanikoDigestContainer, kanikoDigest, kanikoLogPlan } from "./kaniko.js";

const args = ["--context=/w", "--destination=r.local/a:1", "-d", "r.local/a:2", "--digest-file=/dev/termination-log"];

describe("kaniko", () => {
  it("recognises the executor by --digest-file=/dev/termination-log in either flag form", () => {
    expect(isKanikoDigestContainer(args)).toBe(true);
    expect(isKanikoDigestContainer(["--digest-file", "/dev/termination-log"])).toBe(true);
    expect(isKanikoDigestContainer(["--digest-file=/tmp/digest"])).toBe(false);
  });

  it("recognises the executor by image or by its build flags", () => {
    expect(isKanikoContainer("gcr.io/kaniko-project/executor:v1.23.2", [])).toBe(true);
    expect(isKanikoContainer("ghcr.io/osscontainertools/kaniko/executor@sha256:abc", [])).toBe(true);
    expect(isKanikoContainer("registry.local/tools/builder:1", ["--context=/w", "--destination=r/a:1"])).toBe(true);
    expect(isKanikoContainer("busybox:1.36", ["--context=/w"])).toBe(false);
  });

  it("reads repeated flags in order", () => {
    expect(flagValues(args, "--destination", "-d")).toEqual(["r.local/a:1", "r.local/a:2"]);
  });

  it("derives the digest as sha256 of {destinations, args}: deterministic and input-sensitive", () => {
    const expected = createHash("sha256")
      .update(JSON.stringify({ destinations: ["r.local/a:1", "r.local/a:2"], args }))
      .digest("hex");
    expect(kanikoDigest(args)).toBe(`sha256:${expected}`);
    expect(kanikoDigest([...args, "--cache=true"])).not.toBe(kanikoDigest(args));
  });

  it("plans push lines per destination only on success, with times in whole seconds", () => {
    const ok = kanikoLogPlan(args, 10_000, "success").map((l) => l.text);
    expect(ok.filter((l) => l.includes("Pushed "))).toEqual([
      `INFO[0009] Pushed r.local/a:1@${kanikoDigest(args)}`,
      `INFO[0010] Pushed r.local/a:2@${kanikoDigest(args)}`,
    ]);
    const failed = kanikoLogPlan(args, 10_000, "failure").map((l) => l.text);
    expect(failed.some((l) => l.includes("Push"))).toBe(false);
    expect(failed.at(-1)).toMatch(/^error building image/);
  });

  it("never lets the INFO[ssss] elapsed seconds go backwards", () => {
    for (const runMs of [200, 5_000, 600_000]) {
      const seconds = kanikoLogPlan(args, runMs, "success").map((l) => Number(/^INFO\[(\d{4})\]/.exec(l.text)?.[1]));
      expect(seconds).toEqual([...seconds].sort((a, b) => a - b));
      expect(seconds.every((n) => Number.isInteger(n))).toBe(true);
    }
  });
});
