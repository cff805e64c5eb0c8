import { describe, expect, it } from "vitest";
import { buildIdArg } from "./build-id.js";

describe("buildIdArg", () => {
  it("accepts an id and the build/<id> that -o name prints", () => {
    expect(buildIdArg("01hzx3k2v6")).toBe("01hzx3k2v6");
    expect(buildIdArg("build/01hzx3k2v6\n")).toBe("01hzx3k2v6");
  });

  it("refuses another kind's name", () => {
    expect(() => buildIdArg("job/b-x")).toThrow(/build id or build\/<id>/);
  });
});
