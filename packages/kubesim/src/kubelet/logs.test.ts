import { describe, expect, it } from "vitest";
import type { KubeObject } from "../store/types.js";
import { MAX_LINES_PER_CONTAINER, createLogStore, formatLog } from "./logs.js";

const pod: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns" }, spec: { containers: [{ name: "c" }] } };
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

describe("formatLog", () => {
  const lines = [0, 1, 2, 3].map((s) => ({ time: at(s), text: `line ${s}` }));
  it("applies sinceTime, then tailLines, and prefixes RFC 3339 timestamps on request", () => {
    expect(formatLog(lines, {})).toBe("line 0\nline 1\nline 2\nline 3\n");
    expect(formatLog(lines, { tailLines: 2 })).toBe("line 2\nline 3\n");
    expect(formatLog(lines, { tailLines: 0 })).toBe("");
    expect(formatLog(lines, { sinceTime: at(2), tailLines: 5 })).toBe("line 2\nline 3\n");
    expect(formatLog(lines, { timestamps: true, tailLines: 1 })).toBe("2026-01-01T00:00:03.000Z line 3\n");
  });
});

describe("createLogStore", () => {
  it("keeps at most MAX_LINES_PER_CONTAINER lines, dropping the oldest", () => {
    const logs = createLogStore(() => pod);
    logs.start("ns", "p", "c");
    for (let i = 0; i < MAX_LINES_PER_CONTAINER + 5; i++) logs.append("ns", "p", "c", `l${i}`, at(0));
    const text = logs.read("ns", "p", "c", {});
    expect(text.split("\n").length - 1).toBe(MAX_LINES_PER_CONTAINER);
    expect(text.startsWith("l5\n")).toBe(true);
  });

  it("delivers appended lines to followers and ends them when the container ends", () => {
    const logs = createLogStore(() => pod);
    logs.start("ns", "p", "c");
    const seen: string[] = [];
    let ended = 0;
    const stop = logs.follow("ns", "p", "c", (l) => seen.push(l), () => (ended += 1));
    logs.append("ns", "p", "c", "a", at(0));
    logs.end("ns", "p", "c");
    logs.append("ns", "p", "c", "after end", at(1));
    stop();
    expect(seen).toEqual(["a"]);
    expect(ended).toBe(1);
    // Following a finished container ends at once.
    logs.follow("ns", "p", "c", () => undefined, () => (ended += 1));
    expect(ended).toBe(2);
  });
});
