import { describe, expect, it } from "vitest";
import { UNDECLARED, expandVariables, wholeVariable } from "./arg-expansion.js";
import type { Lookup } from "./arg-expansion.js";

const vars: Record<string, string | undefined> = { BASE: "debian:12", EMPTY: "", UNSET: undefined };
const lookup: Lookup = (name) => (Object.hasOwn(vars, name) ? vars[name] : UNDECLARED);
const expand = (text: string) => expandVariables(text, lookup);

describe("expandVariables", () => {
  it.each([
    ["$BASE", "debian:12"],
    ["${BASE}", "debian:12"],
    ["registry.internal:5000/${BASE}", "registry.internal:5000/debian:12"],
    ["${UNSET:-alpine}", "alpine"],
    ["${EMPTY:-alpine}", "alpine"],
    ["${EMPTY-alpine}x", "x"],
    ["${UNSET-alpine}", "alpine"],
    ["${NOPE:-busybox}:1", "busybox:1"],
    ["a${BASE:+b}", "ab"],
    ["a${UNSET:+b}", "a"],
    ["a${EMPTY+b}", "ab"],
    ["price\\$5", "price$5"],
    ["a$", "a$"],
    ["plain:1", "plain:1"],
  ])("expands %s to %s", (text, value) => {
    expect(expand(text)).toEqual({ ok: true, value });
  });

  it("refuses a variable without a value instead of expanding it to nothing", () => {
    expect(expand("alpine:${UNSET}")).toEqual({ ok: false, variable: "UNSET", problem: expect.stringContaining("${UNSET} has no value") as unknown });
    expect(expand("$EMPTY")).toMatchObject({ ok: false, variable: "EMPTY" });
  });

  it("refuses a variable no ARG declares", () => {
    expect(expand("$REGISTRY/app")).toEqual({ ok: false, variable: "REGISTRY", problem: "$REGISTRY is not declared by any ARG in scope" });
  });

  it("refuses substitutions it does not evaluate, and an unclosed brace", () => {
    expect(expand("${BASE%:*}")).toMatchObject({ ok: false, problem: expect.stringContaining("does not evaluate") as unknown });
    expect(expand("${BASE")).toMatchObject({ ok: false, problem: expect.stringContaining("no closing }") as unknown });
  });

  it("honours the escape directive's character", () => {
    expect(expandVariables("a`$b", lookup, "`")).toEqual({ ok: true, value: "a$b" });
  });
});

describe("wholeVariable", () => {
  it.each([
    ["$BASE", "BASE"],
    ["${BASE}", "BASE"],
    ["${BASE:-debian}", "BASE"],
    ["${BASE-debian}", "BASE"],
  ])("finds the one variable of %s", (text, name) => {
    expect(wholeVariable(text)).toBe(name);
  });

  it.each(["${BASE:+x}", "$REG/app", "debian:$TAG", "busybox"])("finds none in %s", (text) => {
    expect(wholeVariable(text)).toBeUndefined();
  });
});
