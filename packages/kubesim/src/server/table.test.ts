import { describe, expect, it } from "vitest";
import type { KubeObject } from "../store/types.js";
import { humanDuration, toTable } from "./table.js";

describe("humanDuration", () => {
  it.each([
    [0, "0s"],
    [59_000, "59s"],
    [119_000, "119s"],
    [125_000, "2m5s"],
    [600_000, "10m"],
    [3 * 3_600_000 + 5 * 60_000, "3h5m"],
    [30 * 3_600_000, "30h"],
    [3 * 86_400_000 + 3_600_000, "3d1h"],
    [40 * 86_400_000, "40d"],
  ])("%d ms reads %s like kubectl", (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe("toTable", () => {
  const now = new Date("2026-01-01T00:10:00Z");
  const job = (conditions: Array<{ type: string; status: string }>, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "j", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { completions: 1, template: { spec: { containers: [{ name: "k", image: "kaniko:1" }] } } },
    status: { conditions, startTime: "2026-01-01T00:00:00Z", ...extra },
  });

  it("shows Complete only from the terminal condition, not from SuccessCriteriaMet", () => {
    const interim = toTable("jobs", [job([{ type: "SuccessCriteriaMet", status: "True" }])], now, {});
    expect(interim.rows[0]?.cells.slice(0, 2)).toEqual(["j", "SuccessCriteriaMet"]);
    const done = toTable("jobs", [job([{ type: "SuccessCriteriaMet", status: "True" }, { type: "Complete", status: "True" }], { succeeded: 1, completionTime: "2026-01-01T00:01:00Z" })], now, {});
    expect(done.rows[0]?.cells.slice(0, 5)).toEqual(["j", "Complete", "1/1", "60s", "10m"]);
  });

  it("prints pod readiness, waiting reasons and restarts", () => {
    const pod: KubeObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", creationTimestamp: "2026-01-01T00:09:30Z" },
      spec: { containers: [{ name: "k" }] },
      status: { phase: "Pending", containerStatuses: [{ ready: false, restartCount: 2, state: { waiting: { reason: "ImagePullBackOff" } } }] },
    };
    expect(toTable("pods", [pod], now, {}).rows[0]?.cells.slice(0, 5)).toEqual(["p", "0/1", "ImagePullBackOff", "2", "30s"]);
  });
});
