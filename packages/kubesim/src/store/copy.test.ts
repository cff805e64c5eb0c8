import { describe, expect, it } from "vitest";
import { jsonCopy, jsonEqual } from "./copy.js";

describe("jsonCopy", () => {
  it("matches a JSON round trip on plain data, Dates, undefined and non-finite numbers", () => {
    const input = {
      a: 1,
      b: "x",
      c: [1, { d: true, e: undefined }, undefined, null],
      f: undefined,
      g: new Date("2026-01-01T00:00:00Z"),
      h: { i: { j: [] } },
      k: Number.NaN,
    };
    expect(jsonCopy(input)).toEqual(JSON.parse(JSON.stringify(input)));
    expect(Object.keys(jsonCopy(input))).toEqual(Object.keys(JSON.parse(JSON.stringify(input)) as object));
  });

  it("shares nothing with the original", () => {
    const input = { meta: { labels: { a: "1" } }, list: [{ x: 1 }] };
    const out = jsonCopy(input);
    out.meta.labels.a = "2";
    out.list[0]!.x = 2;
    expect(input).toEqual({ meta: { labels: { a: "1" } }, list: [{ x: 1 }] });
  });
});

describe("jsonEqual", () => {
  it("ignores key order and undefined members, and sees every difference", () => {
    expect(jsonEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, u: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(jsonEqual({ a: {} }, { a: [] })).toBe(false);
    expect(jsonEqual({ a: null }, { a: {} })).toBe(false);
    expect(jsonEqual("1", 1)).toBe(false);
  });
});
