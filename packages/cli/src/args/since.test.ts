import { describe, expect, it } from "vitest";
import { sinceArg } from "./since.js";

describe("sinceArg", () => {
  it("turns kubectl durations into whole seconds, rounding a part of one up", () => {
    expect(sinceArg("30s")).toEqual({ sinceSeconds: 30 });
    expect(sinceArg("5m")).toEqual({ sinceSeconds: 300 });
    expect(sinceArg("1h30m")).toEqual({ sinceSeconds: 5_400 });
    expect(sinceArg("1.5h")).toEqual({ sinceSeconds: 5_400 });
    expect(sinceArg("1500ms")).toEqual({ sinceSeconds: 2 });
  });

  it("takes an RFC 3339 time as it is", () => {
    expect(sinceArg("2026-12-02T10:00:00Z")).toEqual({ sinceTime: "2026-12-02T10:00:00Z" });
    expect(sinceArg("2026-12-02T11:00:00.5+01:00")).toEqual({ sinceTime: "2026-12-02T11:00:00.5+01:00" });
  });

  it("refuses anything else, saying what it takes", () => {
    for (const bad of ["5", "0s", "5 minutes", "yesterday", "2026-12-02", "2026-12-02T10:00:00", "-5m"]) {
      expect(() => sinceArg(bad), bad).toThrow(/--since expects a duration .* or an RFC 3339 time/);
    }
  });
});
