import { describe, expect, it } from "vitest";
import { COL_GAP, NODE_H, NODE_W, layoutWave, nodeLabel } from "./wave-layout";

const node = (id: string, level: number, parents: string[] = []) => ({ id, level, parents, state: "pending" as const, buildId: null });

describe("layoutWave", () => {
  it("puts each level in its own column, left to right", () => {
    const layout = layoutWave([node("t/c", 2, ["t/b"]), node("t/a", 0), node("t/b", 1, ["t/a"])]);
    const x = Object.fromEntries(layout.nodes.map((n) => [n.id, n.x]));
    expect(x["t/a"]).toBeLessThan(x["t/b"] ?? 0);
    expect(x["t/b"]).toBeLessThan(x["t/c"] ?? 0);
    expect((x["t/b"] ?? 0) - (x["t/a"] ?? 0)).toBe(NODE_W + COL_GAP);
  });

  it("stacks the nodes of one level and sizes the drawing to the widest column", () => {
    const layout = layoutWave([node("t/a", 0), node("t/b", 1, ["t/a"]), node("t/c", 1, ["t/a"])]);
    const b = layout.nodes.find((n) => n.id === "t/b");
    const c = layout.nodes.find((n) => n.id === "t/c");
    expect(b?.x).toBe(c?.x);
    expect((c?.y ?? 0) - (b?.y ?? 0)).toBeGreaterThanOrEqual(NODE_H);
    expect(layout.height).toBeGreaterThanOrEqual(2 * NODE_H);
  });

  it("draws one edge per parent, from the parent's right side to the child's left", () => {
    const layout = layoutWave([node("t/a", 0), node("t/b", 0), node("t/c", 1, ["t/a", "t/b"])]);
    expect(layout.edges.map((e) => `${e.from}>${e.to}`)).toEqual(["t/a>t/c", "t/b>t/c"]);
    expect(layout.edges[0]?.d).toMatch(/^M\d+,\d+ C/);
  });

  it("leaves out an edge to a parent outside the wave", () => {
    expect(layoutWave([node("t/b", 1, ["t/gone"])]).edges).toEqual([]);
  });
});

describe("nodeLabel", () => {
  it("drops the tenant and cuts a long name", () => {
    expect(nodeLabel("team/python-runtime")).toBe("python-runtime");
    expect(nodeLabel("team/abcdefghijklmnopqrstuvwxyz", 10)).toBe("abcdefghi…");
  });
});
