import { describe, expect, it } from "vitest";
import { buildGraph } from "../catalog/graph.js";
import { REG, entry, fromImages } from "../test-support/catalog.js";
import { planWave } from "./plan.js";
import { formatPlanTree } from "./plan-format.js";

describe("formatPlanTree", () => {
  it("prints the levels as a tree with pinned bases and warnings", () => {
    const graph = buildGraph({
      entries: [
        entry("base", "FROM debian:12"),
        entry("python", fromImages("base")),
        entry("svc", "", { declared: [`${REG}/team/base:v1`] }),
        entry("odd", "ARG X\nFROM $X"),
      ],
    });
    const result = planWave(graph, { base: "base" }, { kind: "tenant", tenant: "team" });
    expect(result.ok && formatPlanTree(result.plan)).toBe(
      [
        "level 0",
        "└── team/base",
        "level 1",
        "├── team/python",
        `│     ← ${REG}/team/base:v1 (pinned to new team/base)`,
        "└── team/svc",
        `      ← ${REG}/team/base:v1 (unpinned: built from its tag)`,
        `      ! ${REG}/team/base:v1 is built from its tag, unpinned: its Dockerfile is in the git context, which buildfleet cannot rewrite`,
        "! 1 image(s) with unresolved bases could also build FROM this base and are not in the wave: team/odd",
        "",
      ].join("\n"),
    );
  });

  it("prints only the message for a wave of zero nodes", () => {
    const result = planWave(buildGraph({ entries: [] }), { base: "alpine:3" }, { kind: "admin" });
    expect(result.ok && formatPlanTree(result.plan)).toBe("! no catalog image builds FROM docker.io/library/alpine:3: nothing to rebuild\n");
  });
});
