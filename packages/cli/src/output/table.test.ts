import { describe, expect, it } from "vitest";
import { formatAge, renderTable } from "./table.js";

describe("renderTable", () => {
  it("pads columns to the widest cell and fills empty cells with <none>", () => {
    const out = renderTable(["NAME", "STATE", "DIGEST"], [["01abc", "running", ""], ["01defghij", "succeeded", "sha256:12"]]);
    expect(out).toBe(
      "NAME        STATE       DIGEST\n" + "01abc       running     <none>\n" + "01defghij   succeeded   sha256:12\n",
    );
  });
});

describe("formatAge", () => {
  const now = Date.parse("2026-01-01T12:00:00Z");
  it.each([
    ["2026-01-01T11:59:15Z", "45s"],
    ["2026-01-01T11:57:30Z", "2m30s"],
    ["2026-01-01T11:30:00Z", "30m"],
    ["2026-01-01T10:55:00Z", "65m"],
    ["2026-01-01T06:30:00Z", "5h30m"],
    ["2026-01-01T07:00:00Z", "5h"],
    ["2025-12-31T16:00:00Z", "20h"],
    ["2025-12-29T12:00:00Z", "3d"],
    ["2025-12-20T12:00:00Z", "12d"],
  ])("%s is %s old", (from, age) => {
    expect(formatAge(from, now)).toBe(age);
  });

  it("is empty for a missing or broken time", () => {
    expect(formatAge(undefined, now)).toBe("");
    expect(formatAge("yesterday", now)).toBe("");
  });
});
