import { describe, expect, it } from "vitest";
import type { WaveView } from "@buildfleet/sdk";
import { barLine, levelProgress, progressPrinter } from "./wave-progress.js";

const wave = (state: string, nodes: { id: string; level: number; state: string }[]): WaveView => {
  const levels: string[][] = [];
  for (const n of nodes) (levels[n.level] ??= []).push(n.id);
  return { id: "rw-abc12345", state, levels, nodes: nodes.map((n) => ({ ...n, attempt: 1 })) } as unknown as WaveView;
};

const mixed = wave("running", [
  { id: "t/base", level: 0, state: "succeeded" },
  { id: "t/a", level: 1, state: "succeeded" },
  { id: "t/b", level: 1, state: "running" },
  { id: "t/c", level: 1, state: "queued" },
  { id: "t/d", level: 1, state: "failed" },
  { id: "t/e", level: 2, state: "skipped" },
  { id: "t/f", level: 2, state: "pending" },
]);

describe("wave progress", () => {
  it("counts each level's done, running, queued, failed and skipped nodes", () => {
    expect(levelProgress(mixed)).toEqual([
      { level: 0, total: 1, done: 1, running: 0, queued: 0, failed: 0, skipped: 0 },
      { level: 1, total: 4, done: 1, running: 1, queued: 1, failed: 1, skipped: 0 },
      { level: 2, total: 2, done: 0, running: 0, queued: 0, failed: 0, skipped: 1 },
    ]);
  });

  it("draws a level's bar: done, then failed or skipped, then what is left", () => {
    expect(barLine(levelProgress(mixed)[1]!, 8)).toBe("level 1 [##xx....]  25%  1/4 done, 1 running, 1 queued, 1 failed, 0 skipped");
  });

  it("redraws the bars in place on a terminal", () => {
    let out = "";
    const printer = progressPrinter((s) => (out += s), true);
    printer.update(mixed);
    printer.update(mixed);
    // Four lines (the wave, three levels) the first time; the second draw moves up over them first.
    expect(out.split("\n").filter((l) => l.includes("level 1 [")).length).toBe(2);
    expect(out).toContain("\x1b[4F");
  });

  it("prints plain lines without escape codes, only for levels whose counts changed", () => {
    let out = "";
    const printer = progressPrinter((s) => (out += s), false);
    printer.update(mixed);
    printer.update(wave("running", mixed.nodes.map((n) => (n.id === "t/b" ? { ...n, state: "succeeded" } : n))));
    expect(out).toBe(
      [
        "rw-abc12345 level 0: 1/1 done, 0 running, 0 queued, 0 failed, 0 skipped",
        "rw-abc12345 level 1: 1/4 done, 1 running, 1 queued, 1 failed, 0 skipped",
        "rw-abc12345 level 2: 0/2 done, 0 running, 0 queued, 0 failed, 1 skipped",
        "rw-abc12345 level 1: 2/4 done, 0 running, 1 queued, 1 failed, 0 skipped",
        "",
      ].join("\n"),
    );
    expect(out).not.toContain("\x1b");
  });
});
