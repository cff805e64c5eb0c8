import { ValidationError } from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "./cursor.js";

describe("list cursors", () => {
  it("round-trips a position", () => {
    const position = { score: 1_700_000_000_123, id: "01hzx3k2v6w8y9a0b1c2d3e4f5" };
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  it("binds a cursor to its filters, in any order, and refuses it with others", () => {
    const position = { score: 1, id: "abc" };
    const cursor = encodeCursor(position, { states: ["failed", "cancelled"], labels: { team: "a", env: "prod" } });
    expect(decodeCursor(cursor, { states: ["cancelled", "failed"], labels: { env: "prod", team: "a" } })).toEqual(position);
    expect(() => decodeCursor(cursor, { states: ["failed"] })).toThrow(/other filters/);
    expect(() => decodeCursor(cursor)).toThrow(ValidationError);
  });

  it.each(["", "garbage", Buffer.from('{"s":-1,"i":"x"}').toString("base64url"), Buffer.from('{"s":1,"i":"x","z":1}').toString("base64url"), Buffer.from('{"s":1,"i":"x"}').toString("base64url")])(
    "refuses %j as a cursor, naming the field",
    (cursor) => {
      const err = (() => {
        try {
          decodeCursor(cursor);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues[0]?.path).toBe("cursor");
    },
  );
});
