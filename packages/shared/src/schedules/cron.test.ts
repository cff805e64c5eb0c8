import { afterEach, describe, expect, it, vi } from "vitest";
import { cronProblem, timeZoneProblem } from "./cron.js";

afterEach(() => vi.restoreAllMocks());

describe("cron checks", () => {
  it("give the same answer every time, refusals included", () => {
    for (let i = 0; i < 2; i++) {
      expect(cronProblem("0 * * * *")).toBeUndefined();
      expect(cronProblem("0 * * *")).toBe("expected five fields (minute hour day-of-month month day-of-week), got 4");
      expect(timeZoneProblem("Europe/Berlin")).toBeUndefined();
      expect(timeZoneProblem("Mars/Olympus")).toBe('"Mars/Olympus" is not an IANA time zone (example: Europe/Berlin)');
    }
  });

  it("check a time zone once, not on every parse of every stored schedule", () => {
    const construct = vi.spyOn(Intl, "DateTimeFormat");
    for (let i = 0; i < 100; i++) expect(timeZoneProblem("America/Argentina/Ushuaia")).toBeUndefined();
    expect(construct).toHaveBeenCalledTimes(1);
  });
});
