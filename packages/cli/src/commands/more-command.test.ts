import { describe, expect, it } from "vitest";
import { moreCommand } from "./read.js";

describe("the 'More builds' hint", () => {
  it("repeats the filters the cursor is bound to, quoting what a shell would split", () => {
    expect(moreCommand({ state: ["failed"], selector: ["team=pay ments"], limit: "1" }, "abc")).toBe(
      "buildfleet ls --state failed -l 'team=pay ments' --limit 1 --cursor abc",
    );
  });
});
