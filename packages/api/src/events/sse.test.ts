import { makeBuildEvent, newBuildId } from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import { formatSseEvent, isStreamId } from "./sse.js";

describe("SSE framing", () => {
  it("writes id, event type and one data line of CloudEvent JSON", () => {
    const buildId = newBuildId();
    const event = makeBuildEvent("build.cancelled", {
      buildId,
      sequence: 2,
      source: "/test",
      time: "2026-01-01T00:00:00.000Z",
      data: { buildId, by: "line1\nline2" },
    });
    const text = formatSseEvent({ kind: "build", id: "1700000000000-3", buildId, event });
    const lines = text.split("\n");
    expect(lines[0]).toBe("id: 1700000000000-3");
    expect(lines[1]).toBe("event: build.cancelled");
    expect(lines[2]?.startsWith("data: ")).toBe(true);
    expect(JSON.parse(lines[2]?.slice(6) ?? "")).toEqual(event);
    expect(text.endsWith("\n\n")).toBe(true);
    expect(lines).toHaveLength(5);
  });

  it("accepts only stream ids as resume points", () => {
    expect(isStreamId("1700000000000-0")).toBe(true);
    expect(isStreamId("$")).toBe(false);
    expect(isStreamId("18446744073709551615-18446744073709551615")).toBe(true);
    expect(isStreamId("18446744073709551616-0")).toBe(false);
    expect(isStreamId("99999999999999999999-0")).toBe(false);
    expect(isStreamId("1-0\nevent: x")).toBe(false);
  });
});
