import { describe, expect, it } from "vitest";
import { isDns1123Label, jobNameForBuild, MAX_K8S_NAME_LENGTH, toLabelValue } from "./job-name.js";

const ulid = "01jd3k8q9v7x2m4n6p8r0t2w4y";

describe("jobNameForBuild", () => {
  it("is b-<slug>-<hash> and a DNS-1123 label for a ULID build id", () => {
    const name = jobNameForBuild(ulid);
    expect(name).toMatch(/^b-01jd3k8q9v7x2m4n6p8r0t2w4y-[0-9a-f]{10}$/);
    expect(isDns1123Label(name)).toBe(true);
  });

  it("returns the same name for the same build id (so a re-create gets 409 and adopts)", () => {
    expect(jobNameForBuild(ulid)).toBe(jobNameForBuild(ulid));
  });

  it("gives different names to ids that clean up to the same slug", () => {
    const a = jobNameForBuild("Team_A");
    const b = jobNameForBuild("team-a");
    expect(a).not.toBe(b);
    expect(a.startsWith("b-team-a-")).toBe(true);
  });

  it.each([
    ["very long", "x".repeat(500)],
    ["long with trailing dashes at the cut", `${"a".repeat(49)}${"-".repeat(30)}z`],
    ["only symbols", "___:::///"],
    ["uppercase and dots", "Build.ID.With.Dots"],
    ["single char", "a"],
  ])("stays within 63 chars and DNS-1123 for %s", (_label, id) => {
    const name = jobNameForBuild(id);
    expect(name.length).toBeLessThanOrEqual(MAX_K8S_NAME_LENGTH);
    expect(isDns1123Label(name)).toBe(true);
  });

  it("rejects an empty id", () => {
    expect(() => jobNameForBuild("")).toThrow(RangeError);
  });
});

describe("toLabelValue", () => {
  it("keeps a label-safe value unchanged", () => {
    expect(toLabelValue("acme-corp")).toBe("acme-corp");
  });

  it("cleans and hashes an unsafe value so distinct inputs stay distinct", () => {
    const a = toLabelValue("acme corp/α");
    const b = toLabelValue("acme corp/β");
    expect(a).not.toBe(b);
    for (const v of [a, b, toLabelValue("-".repeat(80)), toLabelValue("t".repeat(80))]) {
      expect(v.length).toBeLessThanOrEqual(63);
      expect(v).toMatch(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/);
    }
  });
});
