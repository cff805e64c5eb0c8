import * as contract from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import * as shared from "./index.js";

describe("@buildfleet/shared's exports", () => {
  it("re-exports nothing the contract owns (import those from @buildfleet/contract)", () => {
    const owned = contract as Record<string, unknown>;
    const borrowed = Object.entries(shared as Record<string, unknown>)
      .filter(([name, value]) => name in owned && owned[name] === value)
      .map(([name]) => name);
    expect(borrowed).toEqual([]);
  });
});
