import { describe, expect, it } from "vitest";
import { timedLine } from "./log-collector.js";

describe("timedLine", () => {
  const arrived = new Date("2026-12-02T10:00:05.000Z");

  it("splits the kubelet's RFC 3339 prefix off the line and keeps it as the line's time", () => {
    expect(timedLine("2026-12-02T10:00:01.123456789Z INFO[0001] RUN apk add curl", arrived)).toEqual({
      line: "INFO[0001] RUN apk add curl",
      time: "2026-12-02T10:00:01.123456789Z",
    });
    expect(timedLine("2026-12-02T10:00:01Z ", arrived)).toEqual({ line: "", time: "2026-12-02T10:00:01Z" });
  });

  it("stamps a line without the prefix with its arrival", () => {
    expect(timedLine("INFO[0000] Retrieving image", arrived)).toEqual({ line: "INFO[0000] Retrieving image", time: arrived.toISOString() });
    expect(timedLine("2026-13-45T99:00:00Z not a time", arrived).line).toBe("2026-13-45T99:00:00Z not a time");
  });

  it("clamps a kubelet time later than the arrival (a clock ahead) to the arrival", () => {
    expect(timedLine("2026-12-02T11:00:00.000Z from the future", arrived)).toEqual({ line: "from the future", time: arrived.toISOString() });
  });
});
