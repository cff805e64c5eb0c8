import { describe, expect, it } from "vitest";
import { ANNOTATION_BUILD_ID, LABEL_BUILD_ID, buildIdOf } from "./labels.js";

describe("buildIdOf", () => {
  it("reads the annotation first, then the label, of a Job or a Pod", () => {
    expect(buildIdOf({ metadata: { annotations: { [ANNOTATION_BUILD_ID]: "01ABC" }, labels: { [LABEL_BUILD_ID]: "01abc" } } })).toBe("01ABC");
    expect(buildIdOf({ metadata: { labels: { [LABEL_BUILD_ID]: "01abc" } } })).toBe("01abc");
    expect(buildIdOf({ metadata: {} })).toBeUndefined();
    expect(buildIdOf({})).toBeUndefined();
  });
});
