import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index.js";
import { parseSelector } from "./selector.js";

describe("parseSelector", () => {
  it("reads comma-separated key=value pairs (== too)", () => {
    expect(parseSelector("team=payments, env==prod,example.com/tier=")).toEqual({ team: "payments", env: "prod", "example.com/tier": "" });
  });

  it("names the field and the bad part", () => {
    const err = (() => {
      try {
        parseSelector("team=payments,env", "selector");
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]).toMatchObject({ path: "selector", message: expect.stringMatching(/"env" is not key=value/) as unknown });
  });

  it("refuses an empty selector and contradicting pairs", () => {
    expect(() => parseSelector(" ")).toThrow(/empty/);
    expect(() => parseSelector("a=1,a=2")).toThrow(/twice/);
  });
});
