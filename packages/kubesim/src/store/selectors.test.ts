import { describe, expect, it } from "vitest";
import { StatusError } from "./errors.js";
import { compileFilter, matchesLabels, parseLabelSelector } from "./selectors.js";
import type { KubeObject } from "./types.js";

const pod = (labels: Record<string, string>, phase = "Running"): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p1", namespace: "default", labels },
  status: { phase },
});

describe("label selectors", () => {
  const labels = { app: "web", tier: "front", env: "prod" };
  const cases: Array<[string, boolean]> = [
    ["app=web", true],
    ["app==web", true],
    ["app=db", false],
    ["app!=db", true],
    ["app!=web", false],
    ["missing!=x", true],
    ["app in (db, web)", true],
    ["app in (db)", false],
    ["env notin (dev,qa)", true],
    ["env notin (prod)", false],
    ["tier", true],
    ["missing", false],
    ["!missing", true],
    ["!tier", false],
    ["app=web,tier=front,env in (prod)", true],
    ["app=web,tier=back", false],
    ["", true],
  ];
  for (const [selector, expected] of cases) {
    it(`${JSON.stringify(selector)} ${expected ? "matches" : "does not match"}`, () => {
      expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
    });
  }

  it("matches objects without labels only with negative requirements", () => {
    expect(matchesLabels(parseLabelSelector("!a"), undefined)).toBe(true);
    expect(matchesLabels(parseLabelSelector("a"), undefined)).toBe(false);
  });

  it("accepts prefixed keys such as batch.kubernetes.io/job-name", () => {
    const sel = parseLabelSelector("batch.kubernetes.io/job-name=build-image");
    expect(matchesLabels(sel, { "batch.kubernetes.io/job-name": "build-image" })).toBe(true);
  });

  it("rejects an invalid key with a 400 Status", () => {
    expect(() => parseLabelSelector("bad key=1")).toThrow(StatusError);
  });
});

describe("field selectors", () => {
  it("filters pods by status.phase and metadata.name", () => {
    const f = compileFilter("pods", undefined, "status.phase=Running,metadata.name=p1");
    expect(f(pod({}))).toBe(true);
    expect(f(pod({}, "Failed"))).toBe(false);
    expect(compileFilter("pods", undefined, "status.phase!=Running")(pod({}))).toBe(false);
  });

  it("rejects fields the resource does not support with 400 field label not supported", () => {
    try {
      compileFilter("jobs", undefined, "status.phase=Running");
      expect.fail("should throw");
    } catch (err) {
      expect(err).toBeInstanceOf(StatusError);
      expect((err as StatusError).code).toBe(400);
      expect((err as StatusError).message).toBe("field label not supported: status.phase");
    }
  });

  it("combines label and field selectors", () => {
    const f = compileFilter("pods", "app=web", "metadata.namespace=default");
    expect(f(pod({ app: "web" }))).toBe(true);
    expect(f(pod({ app: "db" }))).toBe(false);
  });
});
