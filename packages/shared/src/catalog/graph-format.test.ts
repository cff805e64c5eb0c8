import { describe, expect, it } from "vitest";
import { REG, entry, fromImages } from "../test-support/catalog.js";
import { buildGraph } from "./graph.js";
import { toDot, toTree } from "./graph-format.js";

const diamond = buildGraph({
  entries: [
    entry("base", "FROM debian:12"),
    entry("jvm", fromImages("base")),
    entry("python", fromImages("base")),
    entry("app", `${fromImages("jvm")}\nFROM ${REG}/team/python:v1\nCOPY --from=s0 /opt/java /opt/java`),
    entry("lost", "ARG X\nFROM $X"),
  ],
});

describe("toTree", () => {
  it("draws dependents below their bases, expanding a shared dependent once", () => {
    expect(toTree(diamond, { label: (id) => id.slice("team/".length) })).toBe(
      ["base", "├── jvm", "│   └── app", "└── python", "    └── app (see above)", "lost", ""].join("\n"),
    );
  });
});

describe("toDot", () => {
  it("writes one node per image and one edge per base → dependent pair, unresolved images dashed", () => {
    const dot = toDot(diamond);
    expect(dot.startsWith("digraph catalog {\n")).toBe(true);
    expect(dot).toContain('  "team/lost" [label="lost\\nteam", style=dashed];');
    expect(dot.match(/->/g)).toHaveLength(4);
    expect(dot).toContain('  "team/jvm" -> "team/app";');
    expect(dot.endsWith("}\n")).toBe(true);
  });
});
