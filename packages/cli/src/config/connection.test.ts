import { describe, expect, it } from "vitest";
import { parseEnvFile, resolveConnection } from "./connection.js";

describe("parseEnvFile", () => {
  it("reads KEY=VALUE lines with comments, export and quotes", () => {
    const text = '# written by pnpm dev\nexport BUILDFLEET_URL="http://127.0.0.1:1"\nBUILDFLEET_TOKEN=abc=def\n\nbroken line\n';
    expect(parseEnvFile(text)).toEqual({ BUILDFLEET_URL: "http://127.0.0.1:1", BUILDFLEET_TOKEN: "abc=def" });
  });
});

describe("resolveConnection", () => {
  const dev = { BUILDFLEET_URL: "http://127.0.0.1:3", BUILDFLEET_TOKEN: "dev" };

  it("prefers flags over the environment over dev.env", () => {
    const env = { BUILDFLEET_URL: "http://127.0.0.1:2", BUILDFLEET_TOKEN: "env" };
    expect(resolveConnection({ server: "http://127.0.0.1:1" }, env, dev)).toEqual({ url: "http://127.0.0.1:1", token: "env" });
    expect(resolveConnection({}, {}, dev)).toEqual({ url: "http://127.0.0.1:3", token: "dev" });
  });

  it("is a usage error without any address, or with one that is not a URL", () => {
    expect(() => resolveConnection({}, {}, {})).toThrow(/BUILDFLEET_URL/);
    expect(() => resolveConnection({ server: "localhost:8080" }, {}, {})).toThrow(/http\(s\) URL/);
  });
});
