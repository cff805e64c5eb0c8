import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { isStatusError } from "../store/errors.js";
import type { MatchTarget } from "./rules.js";
import { imagePatternToRegExp, outcomeFor, parseScenario } from "./rules.js";

const target: MatchTarget = {
  namespace: "builds",
  labels: { app: "kaniko", "batch.kubernetes.io/job-name": "build-image" },
  annotations: { team: "a" },
  jobName: "build-image",
  image: "gcr.io/kaniko-project/executor:v1.23.2",
  args: ["--context=/workspace", "--destination=registry.local/app:1"],
};

function invalidFields(input: unknown): string[] {
  try {
    parseScenario(input);
  } catch (err) {
    if (!isStatusError(err)) throw err;
    expect(err.code).toBe(422);
    expect(err.reason).toBe("Invalid");
    return (err.body.details?.causes ?? []).map((c) => c.field ?? "");
  }
  throw new Error("expected parseScenario to throw");
}

describe("parseScenario", () => {
  it("accepts a list of rules and a { rules } document", () => {
    const rules = [{ match: { jobName: "x" }, attempts: [{ exit: { code: 1 } }, { succeed: {} }] }];
    expect(parseScenario(rules)).toHaveLength(1);
    expect(parseScenario({ rules })[0]?.attempts[1]).toEqual({ succeed: {} });
  });

  it("accepts a YAML scenario file as the CLI parses it", () => {
    const file = [
      "rules:",
      "  - name: flaky push",
      "    match:",
      "      image: 'gcr.io/kaniko-project/*'",
      "      args: '--destination=registry\\.local/'",
      "    attempts:",
      "      - exit: { code: 1, afterMs: 2000, message: push failed }",
      "      - succeed: {}",
      "",
    ].join("\n");
    const [rule] = parseScenario(parseYaml(file));
    expect(rule?.attempts).toEqual([{ exit: { code: 1, afterMs: 2000, message: "push failed" } }, { succeed: {} }]);
    expect(rule?.match.args).toBe("--destination=registry\\.local/");
  });

  it("defaults a missing match to match-everything", () => {
    expect(parseScenario([{ attempts: [{ hang: {} }] }])[0]?.match).toEqual({});
  });

  it("names the bad field in a 422 Invalid error", () => {
    expect(invalidFields([{ attempts: [{ succeed: {} }, { exit: { code: 300 } }] }])).toEqual([
      "rules[0].attempts[1].exit.code",
    ]);
  });

  it("rejects an outcome with two kinds or an unknown kind", () => {
    expect(invalidFields([{ attempts: [{ succeed: {}, hang: {} }] }])).toEqual(["rules[0].attempts[0]"]);
    expect(invalidFields([{ attempts: [{ explode: {} }] }])[0]).toMatch(/^rules\[0\]\.attempts\[0\]/);
  });

  it("rejects an empty attempts list, a bad regex and stray top-level keys", () => {
    expect(invalidFields([{ attempts: [] }])).toEqual(["rules[0].attempts"]);
    expect(invalidFields([{ match: { args: "(" }, attempts: [{ hang: {} }] }])).toEqual([
      "rules[0].match.args",
    ]);
    expect(invalidFields({ rules: [], extra: 1 })).toEqual(["extra"]);
    expect(invalidFields("nope")).toEqual(["rules"]);
  });
});

describe("matching", () => {
  it("uses the first matching rule and repeats its last attempt", () => {
    const rules = parseScenario([
      { match: { jobName: "other" }, attempts: [{ hang: {} }] },
      { match: { labels: { app: "kaniko" } }, attempts: [{ exit: { code: 1 } }, { succeed: { afterMs: 5 } }] },
      { attempts: [{ oomKilled: {} }] },
    ]);
    expect(outcomeFor(rules, target, 0)).toEqual({ exit: { code: 1 } });
    expect(outcomeFor(rules, target, 1)).toEqual({ succeed: { afterMs: 5 } });
    expect(outcomeFor(rules, target, 7)).toEqual({ succeed: { afterMs: 5 } });
  });

  it("returns undefined when no rule matches", () => {
    const rules = parseScenario([{ match: { namespace: "default" }, attempts: [{ hang: {} }] }]);
    expect(outcomeFor(rules, target, 0)).toBeUndefined();
  });

  it("matches every criterion: labels, annotations, namespace, image glob/regex, args regex", () => {
    const ok = (match: object) => outcomeFor(parseScenario([{ match, attempts: [{ hang: {} }] }]), target, 0) !== undefined;
    expect(ok({ annotations: { team: "a" } })).toBe(true);
    expect(ok({ annotations: { team: "b" } })).toBe(false);
    expect(ok({ labels: { app: "kaniko", missing: "x" } })).toBe(false);
    expect(ok({ image: "gcr.io/kaniko-project/*" })).toBe(true);
    expect(ok({ image: "*/executor:v1.2?.2" })).toBe(true);
    expect(ok({ image: "docker.io/*" })).toBe(false);
    expect(ok({ image: "/executor:v1\\.\\d+/" })).toBe(true);
    expect(ok({ args: "^--destination=registry\\.local/" })).toBe(true);
    expect(ok({ args: "--no-push" })).toBe(false);
    expect(ok({ namespace: "builds", jobName: "build-image" })).toBe(true);
  });

  it("treats glob metacharacters other than * and ? literally", () => {
    expect(imagePatternToRegExp("a.b:1").test("axb:1")).toBe(false);
    expect(imagePatternToRegExp("a.b:1").test("a.b:1")).toBe(true);
  });
});
