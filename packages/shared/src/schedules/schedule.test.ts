import { describe, expect, it } from "vitest";
import { validateSchedule } from "./schedule.js";

const mirror = (spec: Record<string, unknown> = {}, target?: unknown) => ({
  apiVersion: "buildfleet.dev/v1",
  kind: "Schedule",
  metadata: { name: "busybox-mirror" },
  spec: {
    cron: "0 * * * *",
    target: target ?? { mirror: { source: "docker.io/library/busybox:latest", destinations: ["registry.internal:5000/mirror/busybox:latest"] } },
    ...spec,
  },
});

function issuesOf(input: unknown) {
  const r = validateSchedule(input);
  if (r.ok) throw new Error("expected the schedule to be refused");
  return r.issues;
}

describe("Schedule", () => {
  it("applies CronJob-like defaults to a mirror schedule", () => {
    const r = validateSchedule(mirror());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.spec).toMatchObject({ timeZone: "UTC", skipIfUnchanged: true, cascade: false, concurrencyPolicy: "Forbid", startingDeadlineSeconds: 300, suspend: false });
  });

  it("names the cron field that is out of range", () => {
    const [issue] = issuesOf(mirror({ cron: "61 * * * *" }));
    expect(issue?.path).toBe("spec.cron");
    expect(issue?.message).toMatch(/61.*0-59/);
  });

  it("refuses a cron expression without five fields", () => {
    expect(issuesOf(mirror({ cron: "0 * * *" }))[0]?.message).toMatch(/five fields/);
  });

  it("refuses an unknown time zone", () => {
    const [issue] = issuesOf(mirror({ timeZone: "Mars/Olympus" }));
    expect(issue?.path).toBe("spec.timeZone");
    expect(issue?.message).toMatch(/IANA/);
  });

  it("refuses a mirror source pinned by digest", () => {
    const target = { mirror: { source: `busybox@sha256:${"a".repeat(64)}`, destinations: ["r.internal:5000/m/busybox:latest"] } };
    const [issue] = issuesOf(mirror({}, target));
    expect(issue?.path).toBe("spec.target.mirror.source");
    expect(issue?.message).toMatch(/not a tag reference/);
  });

  it("refuses a target of more than one kind", () => {
    const target = { image: "app", mirror: { source: "busybox:latest", destinations: ["r.internal:5000/m/busybox:latest"] } };
    const [issue] = issuesOf(mirror({}, target));
    expect(issue?.path).toBe("spec.target");
    expect(issue?.message).toMatch(/not mirror and image/);
  });

  it("checks a build target as a v1 BuildRequest, with paths into it", () => {
    const issues = issuesOf(mirror({}, { build: { apiVersion: "buildfleet.dev/v1", context: { type: "inline", files: {} }, dockerfile: { inline: "FROM busybox" }, destinations: [] } }));
    expect(issues.some((i) => i.path.startsWith("spec.target.build.destinations"))).toBe(true);
  });

  it("refuses unknown fields and a bad concurrency policy", () => {
    const paths = issuesOf(mirror({ concurency: "Forbid", concurrencyPolicy: "Sometimes" })).map((i) => i.path);
    expect(paths).toContain("spec.concurrencyPolicy");
    expect(paths.some((p) => p.includes("concurency"))).toBe(true);
  });
});
