import { parseArgs } from "node:util";
import { describe, expect, it } from "vitest";
import { scriptArgs } from "./script-args.js";

describe("scriptArgs", () => {
  const parse = (argv: string[]) => parseArgs({ args: scriptArgs(argv), options: { runs: { type: "string" } } }).values;

  it("reads flags passed after pnpm's `--` as flags", () => {
    expect(parse(["--", "--runs", "3"])).toEqual({ runs: "3" });
  });

  it("leaves arguments without it as they are", () => {
    expect(parse(["--runs", "3"])).toEqual({ runs: "3" });
    expect(scriptArgs([])).toEqual([]);
  });
});
