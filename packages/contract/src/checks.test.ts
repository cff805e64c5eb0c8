import { describe, expect, it } from "vitest";
import {
  controlProblem,
  dnsSubdomainProblem,
  labelKeyProblem,
  labelValueProblem,
  quantityProblem,
  quantityValue,
  quote,
  relativePathProblem,
  textControlProblem,
} from "./checks.js";

describe("quantities", () => {
  it.each([
    ["250m", 0.25],
    ["1", 1],
    ["0.5", 0.5],
    ["512Mi", 512 * 2 ** 20],
    ["2Gi", 2 * 2 ** 30],
    ["1G", 1e9],
    ["1E", 1e18],
    ["1e3", 1000],
    ["1E6", 1e6],
  ])("reads %s as %d", (q, value) => {
    expect(quantityProblem(q)).toBeUndefined();
    expect(quantityValue(q)).toBeCloseTo(value);
  });

  it.each(["1.5.Gi", "-1", "2 Gi", "1gi", "Gi", "", "1.", "1Mii", "9".repeat(40)])("rejects %j", (q) => {
    expect(quantityProblem(q)).toMatch(/expected a number with an optional suffix/);
  });
});

describe("relative paths", () => {
  it.each(["Dockerfile", "docker/Dockerfile.prod", "my-build", ".", "./a/b", "a/.hidden/..x"])("accepts %j", (p) => {
    expect(relativePathProblem(p)).toBeUndefined();
  });

  it.each([
    ["", "it is empty"],
    ["/abs", "absolute path"],
    ["..", "'..' segment"],
    ["a/../../b", "'..' segment"],
    ["a/..", "'..' segment"],
    ["a\\b", "backslash"],
    ["a\nb", "newline"],
    ["a\u0007b", "control character"],
    ["x".repeat(1025), "longer than 1024"],
  ])("rejects %j: %s", (p, problem) => {
    expect(relativePathProblem(p)).toContain(problem);
  });
});

describe("control characters", () => {
  it("are refused in single-line values, tab and newline allowed in file text", () => {
    expect(controlProblem("a=b c")).toBeUndefined();
    expect(controlProblem("a\tb")).toBe("it contains a control character");
    expect(controlProblem("a\rb")).toBe("it contains a newline");
    expect(controlProblem("a\u0085b")).toBe("it contains a control character");
    expect(textControlProblem("FROM x\n\tRUN y\r\n")).toBeUndefined();
    expect(textControlProblem("FROM x\u0000")).toContain("control character");
  });
});

describe("Kubernetes names and labels", () => {
  it.each(["regcred", "kaniko-workspace", "a.b-c", "a"])("accepts the name %j", (n) => {
    expect(dnsSubdomainProblem(n)).toBeUndefined();
  });
  it.each(["RegCred", "reg_cred", "-a", "a-", "a..b", "", "a".repeat(254)])("rejects the name %j", (n) => {
    expect(dnsSubdomainProblem(n)).toBeDefined();
  });
  it("checks label keys with and without a prefix, and label values", () => {
    expect(labelKeyProblem("team")).toBeUndefined();
    expect(labelKeyProblem("example.com/ticket")).toBeUndefined();
    expect(labelKeyProblem("Example.com/ticket")).toContain("prefix");
    expect(labelKeyProblem("a".repeat(64))).toContain("at most 63");
    expect(labelValueProblem("")).toBeUndefined();
    expect(labelValueProblem("OPS-1234")).toBeUndefined();
    expect(labelValueProblem("pay ments")).toContain("at most 63");
  });
});

describe("quote", () => {
  it("escapes control characters and shortens long values", () => {
    expect(quote("a\nb")).toBe('"a\\nb"');
    expect(quote("x".repeat(100))).toBe(`"${"x".repeat(80)}…"`);
  });
});
