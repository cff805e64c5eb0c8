import { describe, expect, it } from "vitest";
import { DEFAULT_PREFIX, keyspace, prefixProblem } from "./keyspace.js";

/** Redis Cluster's rule: only the part inside the first {…} is hashed. */
function hashTag(key: string): string {
  const open = key.indexOf("{");
  const close = key.indexOf("}", open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

describe("keyspace", () => {
  it("puts every key under one hash tag so multi-key scripts work on Redis Cluster", () => {
    const ks = keyspace("prod-{buildfleet}");
    const keys = [
      `${ks.bullPrefix}:${ks.buildQueue}:wait`,
      ks.build("01jabc"),
      ks.events,
      ks.buildLogs("01jabc"),
      ks.idempotency("team-a", "k1"),
      ks.buildIndex,
    ];
    expect(new Set(keys.map(hashTag))).toEqual(new Set(["buildfleet"]));
  });

  it("uses {buildfleet} by default", () => {
    expect(keyspace().bullPrefix).toBe(DEFAULT_PREFIX);
    expect(keyspace().build("x")).toBe("{buildfleet}:build:x");
  });

  it("keeps tenants apart in idempotency keys", () => {
    const ks = keyspace();
    expect(ks.idempotency("a:b", "c")).not.toBe(ks.idempotency("a", "b:c"));
  });

  it.each([
    ["", "must not be empty"],
    ["buildfleet", "hash tag"],
    ["{}", "hash tag"],
    ["{a}{b}", "hash tag"],
    ["bf:{x}", "hash tag"],
  ])("rejects prefix %j (%s)", (prefix, message) => {
    expect(prefixProblem(prefix)).toContain(message);
    expect(() => keyspace(prefix)).toThrow(/invalid Redis key prefix/);
  });
});
