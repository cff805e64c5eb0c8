import { describe, expect, it } from "vitest";
import { latestWarning } from "./pod-warnings.js";

describe("latestWarning", () => {
  it("quotes the newest Warning event as reason: message", () => {
    expect(
      latestWarning([
        { type: "Warning", reason: "FailedMount", message: 'MountVolume.SetUp failed for volume "a" : secret "x" not found', lastTimestamp: "2026-12-02T10:00:00Z" },
        { type: "Normal", reason: "Scheduled", message: "Successfully assigned", lastTimestamp: "2026-12-02T10:00:09Z" },
        { type: "Warning", reason: "FailedMount", message: 'MountVolume.SetUp failed for volume "b" : configmap "y" not found', lastTimestamp: "2026-12-02T10:00:02Z" },
      ]),
    ).toBe('FailedMount: MountVolume.SetUp failed for volume "b" : configmap "y" not found');
  });

  it("says nothing without a Warning, and bounds a long message", () => {
    expect(latestWarning([{ type: "Normal", reason: "Pulled", message: "ok" }])).toBeUndefined();
    expect(latestWarning([])).toBeUndefined();
    expect(latestWarning([{ type: "Warning", reason: "Failed", message: "x".repeat(2_000) }])?.length).toBeLessThan(410);
  });
});
