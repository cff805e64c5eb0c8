import { describe, expect, it } from "vitest";
import { compareStreamIds } from "./stream-id.js";

describe("compareStreamIds", () => {
  it.each([
    ["1-0", "1-0", 0],
    ["1-1", "1-0", 1],
    ["9-0", "10-0", -1],
    ["1700000000000-2", "1700000000000-10", -1],
    ["18446744073709551615-0", "18446744073709551614-99", 1],
  ])("%s vs %s → %i", (a, b, expected) => {
    expect(compareStreamIds(a, b)).toBe(expected);
  });
});
