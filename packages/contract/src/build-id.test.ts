import { describe, expect, it } from "vitest";
import { BuildId, buildIdTime, newBuildId } from "./build-id.js";

describe("build ids", () => {
  it("are 26 lowercase Crockford base32 characters and pass their own schema", () => {
    const id = newBuildId();
    expect(id).toMatch(/^[0-9a-hjkmnp-tv-z]{26}$/);
    expect(BuildId.safeParse(id).success).toBe(true);
  });

  it("encode the creation time so later ids sort after earlier ones", () => {
    const a = newBuildId({ now: 1_700_000_000_000 });
    const b = newBuildId({ now: 1_700_000_000_001 });
    const c = newBuildId({ now: 1_800_000_000_000 });
    expect([c, a, b].sort()).toEqual([a, b, c]);
    expect(buildIdTime(a).getTime()).toBe(1_700_000_000_000);
  });

  it("match a reference ULID encoding", () => {
    // The ulid README encodes time 1469918176385 as 01ARYZ6S41 (lowercased here).
    const id = newBuildId({ now: 1_469_918_176_385, random: (n) => new Uint8Array(n) });
    expect(id).toBe(`01aryz6s41${"0".repeat(16)}`);
    const ones = newBuildId({ now: 0, random: (n) => new Uint8Array(n).fill(255) });
    expect(ones).toBe("0000000000zzzzzzzzzzzzzzzz");
  });

  it("are a function of given bytes (the first 10), as of the same bytes from a random source", () => {
    const bytes = Uint8Array.from([1, 35, 69, 103, 137, 171, 205, 239, 254, 16, 99]);
    expect(newBuildId({ now: 1_700_000_000_000, bytes })).toBe("01hf7yat0004hmasw9nf6yzzgg");
    expect(newBuildId({ now: 1_700_000_000_000, random: () => bytes })).toBe("01hf7yat0004hmasw9nf6yzzgg");
  });

  it("never produce an all-digit id (BullMQ refuses those as job ids)", () => {
    const id = newBuildId({ now: 0, random: (n) => new Uint8Array(n) });
    expect(id).not.toMatch(/^[0-9]+$/);
    expect(BuildId.safeParse(id).success).toBe(true);
  });

  it.each([
    ["01ARYWDX610000000000000000", "lowercase"],
    ["01arywdx61000000000000000", "25 characters"],
    ["81arywdx610000000000000000", "time overflow"],
    ["01arywdx6100000000000000il", "letters outside Crockford base32"],
    ["01arywdx61:000000000000000", "a colon (BullMQ job ids cannot contain one)"],
    ["00000000000000000000000000", "all digits"],
  ])("rejects %s (%s)", (value) => {
    expect(BuildId.safeParse(value).success).toBe(false);
  });

  it("refuses to encode a time outside 48 bits", () => {
    expect(() => newBuildId({ now: -1 })).toThrow(RangeError);
    expect(() => newBuildId({ now: 2 ** 48 })).toThrow(RangeError);
  });
});
