import { ConfigError } from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import { hashToken, loadTokens, parseTokenList, TokenTable } from "./tokens.js";

const entry = (token: string, tenant = "team-a") => ({ tenant, tokenSha256: hashToken(token), scopes: ["read"] });

describe("tokens", () => {
  it("hashes with SHA-256 hex", () => {
    expect(hashToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("finds the entry of a presented token and nothing for another", () => {
    const table = new TokenTable(parseTokenList(JSON.stringify([entry("s3cret")]), "test"));
    expect(table.lookup("s3cret")?.tenant).toBe("team-a");
    expect(table.lookup("s3cret ")).toBeUndefined();
    expect(table.lookup(hashToken("s3cret"))).toBeUndefined();
  });

  it("reads YAML, a bare list or { tokens: [...] }, and applies defaults", () => {
    const yaml = `tokens:\n  - tenant: team-b\n    tokenSha256: ${hashToken("t")}\n    scopes: [submit, read]\n    rateLimit: { max: 5, timeWindowMs: 60000 }\n`;
    const [parsed] = parseTokenList(yaml, "file");
    expect(parsed).toEqual({
      tenant: "team-b",
      tokenSha256: hashToken("t"),
      scopes: ["submit", "read"],
      registries: [],
      secrets: [],
      claims: [],
      rateLimit: { max: 5, timeWindowMs: 60_000 },
    });
  });

  it("names the bad field of a bad entry", () => {
    expect(() => parseTokenList(JSON.stringify([{ tenant: "a", tokenSha256: "plain-token", scopes: ["root"] }]), "BUILDFLEET_TOKENS")).toThrow(
      /BUILDFLEET_TOKENS: invalid token list: \[0\]\.tokenSha256: .*; \[0\]\.scopes\[0\]/,
    );
  });

  it("refuses the same hash twice", () => {
    expect(() => new TokenTable([{ ...entry("x"), registries: [], secrets: [], claims: [], scopes: ["read"] }, { ...entry("x", "b"), registries: [], secrets: [], claims: [], scopes: ["read"] }])).toThrow(ConfigError);
  });

  it("combines the file and the env list, and reports an unreadable file", () => {
    const table = loadTokens(
      { tokensFile: "/tokens.yaml", tokens: JSON.stringify([entry("two", "team-b")]) },
      () => JSON.stringify([entry("one")]),
    );
    expect(table.size).toBe(2);
    expect(
      () => loadTokens({ tokensFile: "/missing", tokens: undefined }, () => {
        throw Object.assign(new Error("nope"), { code: "ENOENT" });
      }),
    ).toThrow(/cannot read \/missing: ENOENT/);
  });
});
