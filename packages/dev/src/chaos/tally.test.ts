import { describe, expect, it } from "vitest";
import { renderTable, streamTally, tally } from "./tally.js";

const ev = (...types: string[]) => types.map((type, i) => ({ type, sequence: i + 1 }));

describe("tally", () => {
  it("counts lost, stuck, duplicate Jobs, terminal events and sequence gaps per build", () => {
    const t = tally(
      "x",
      [
        { id: "ok", state: "succeeded", jobs: 1, events: ev("build.queued", "build.started", "build.succeeded") },
        { id: "lost", state: undefined, jobs: 0, events: [] },
        { id: "stuck", state: "running", jobs: 1, events: ev("build.queued", "build.started") },
        { id: "twice", state: "failed", jobs: 2, events: ev("build.queued", "build.failed", "build.failed") },
        { id: "gap", state: "succeeded", jobs: 1, events: [{ type: "build.queued", sequence: 1 }, { type: "build.succeeded", sequence: 3 }] },
      ],
      undefined,
    );
    expect(t).toEqual({
      scenario: "x",
      submitted: 5,
      refused: 0,
      terminal: 3,
      cancelled: 0,
      lost: 1,
      stuck: 1,
      duplicateJobs: 1,
      terminalEventsNot1: 2,
      sequenceGaps: 1,
      secondsToAllTerminal: undefined,
    });
  });

  it("renders a Markdown table, 'never' when not all ended", () => {
    const text = renderTable([tally("kill", [], 1.25), tally("stuck", [], undefined)]);
    expect(text.split("\n")).toHaveLength(4);
    expect(text).toMatch(/\| kill \| 0 \| 0 \| 0 \| 0 \| 0 \| 0 \| 0 \| 0 \| 0 \| 1\.3 \|/);
    expect(text).toMatch(/\| stuck .* never \| — \| — \| — \|$/);
  });

  it("fills the SSE columns of a scenario with a follower", () => {
    const text = renderTable([{ ...tally("sse", [], 2.5), sseMissing: 0, sseDuplicates: 1, sseConnections: 2 }]);
    expect(text).toMatch(/\| 2\.5 \| 0 \| 1 \| 2 \|$/);
  });
});

describe("streamTally", () => {
  it("counts entries never received, entries received twice, and entries Redis lost after sending them", () => {
    expect(streamTally(["1-0", "2-0", "3-0"], ["1-0", "2-0", "2-0", "9-0"])).toEqual({ missing: 1, duplicates: 1, notInRedis: 1 });
    expect(streamTally(["1-0"], ["1-0"])).toEqual({ missing: 0, duplicates: 0, notInRedis: 0 });
  });
});
