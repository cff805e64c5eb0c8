import { describe, expect, it } from "vitest";
import { StatusError } from "../store/errors.js";
import { jsonPatch, mergePatch, patchTypeOf, strategicMergePatch } from "./patch.js";

describe("patches", () => {
  it("merge patch replaces lists, merges maps and deletes on null", () => {
    const out = mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] });
    expect(out).toEqual({ a: { c: 2, d: 3 }, l: [3] });
  });

  it("strategic merge patch merges containers by name", () => {
    const target = { spec: { containers: [{ name: "a", image: "x:1" }, { name: "b", image: "y:1" }] } };
    const out = strategicMergePatch(target, { spec: { containers: [{ name: "b", image: "y:2" }, { name: "c", image: "z:1" }] } });
    expect(out).toEqual({ spec: { containers: [{ name: "a", image: "x:1" }, { name: "b", image: "y:2" }, { name: "c", image: "z:1" }] } });
  });

  it("json patch supports add, replace, remove, test, move and copy", () => {
    const out = jsonPatch({ metadata: { labels: { a: "1" } }, list: [1, 2] }, [
      { op: "add", path: "/metadata/labels/b~1c", value: "2" },
      { op: "replace", path: "/metadata/labels/a", value: "3" },
      { op: "add", path: "/list/-", value: 3 },
      { op: "remove", path: "/list/0" },
      { op: "test", path: "/list", value: [2, 3] },
      { op: "copy", from: "/list", path: "/copy" },
      { op: "move", from: "/copy", path: "/moved" },
    ]);
    expect(out).toEqual({ metadata: { labels: { a: "3", "b/c": "2" } }, list: [2, 3], moved: [2, 3] });
  });

  it("json patch fails a test operation with 422", () => {
    expect(() => jsonPatch({ a: 1 }, [{ op: "test", path: "/a", value: 2 }])).toThrow(StatusError);
    expect(() => jsonPatch({ a: 1 }, [{ op: "remove", path: "/b" }])).toThrow(StatusError);
  });

  it("recognises patch content types", () => {
    expect(patchTypeOf("application/merge-patch+json; charset=utf-8")).toBe("merge");
    expect(patchTypeOf("application/json-patch+json")).toBe("json");
    expect(patchTypeOf("application/strategic-merge-patch+json")).toBe("strategic");
    expect(patchTypeOf("application/apply-patch+yaml")).toBe("apply");
    expect(patchTypeOf("application/json")).toBeUndefined();
  });
});
