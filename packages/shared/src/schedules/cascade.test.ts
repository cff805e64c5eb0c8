import { describe, expect, it } from "vitest";
import { buildGraph } from "../catalog/graph.js";
import { REG, digest, entry, fromImages } from "../test-support/catalog.js";
import { planWave } from "../rebuilds/plan.js";
import { cascadeTargets } from "./cascade.js";

// app pushes two tags and a second repository; each dependent builds FROM a different one.
const graph = buildGraph({
  entries: [
    entry("app", "FROM debian:12", { pushes: [`${REG}/team/app:v1`, `${REG}/team/app:latest`, `${REG}/mirror/app:v1`] }),
    entry("on-v1", fromImages("app")),
    entry("on-latest", `FROM ${REG}/team/app:latest`),
    entry("on-mirror", `FROM ${REG}/mirror/app:v1`),
    entry("below", fromImages("on-mirror")),
    entry("theirs", fromImages("app"), { tenant: "payments" }),
  ],
});
const NEW = digest(7);
const builtFrom = (map: Record<string, Record<string, string>>) => (id: string) => map[id];

describe("cascadeTargets", () => {
  it("rebuilds every dependent never built, on every destination of the image, in the schedule's tenant only", () => {
    expect(cascadeTargets(graph, "team/app", NEW, "team", builtFrom({}))).toEqual({ kind: "wave", dependents: ["team/on-latest", "team/on-mirror", "team/on-v1"] });
  });

  it("leaves out a dependent whose last build was pinned to exactly this digest, and rebuilds one built from another", () => {
    const targets = cascadeTargets(
      graph,
      "team/app",
      NEW,
      "team",
      builtFrom({ "team/on-v1": { [`${REG}/team/app:v1`]: NEW }, "team/on-latest": { [`${REG}/team/app:latest`]: digest(6) }, "team/on-mirror": { [`${REG}/mirror/app:v1`]: NEW } }),
    );
    expect(targets).toEqual({ kind: "wave", dependents: ["team/on-latest"] });
  });

  it("starts nothing when every dependent is built from this digest already (a first build of the image included)", () => {
    const current = Object.fromEntries(["on-v1", "on-latest", "on-mirror"].map((n) => [`team/${n}`, { [graph.parents.get(`team/${n}`)![0]!.reference]: NEW }]));
    expect(cascadeTargets(graph, "team/app", NEW, "team", builtFrom(current))).toEqual({ kind: "unchanged" });
  });

  it("says when the image has no dependents in the tenant", () => {
    expect(cascadeTargets(graph, "team/below", NEW, "team", builtFrom({}))).toEqual({ kind: "no-dependents" });
    expect(cascadeTargets(graph, "team/gone", NEW, "team", builtFrom({}))).toEqual({ kind: "no-dependents" });
  });

  it("plans one wave covering the dependents of all destinations, pinned to the new digest, never the image itself", () => {
    const result = planWave(graph, { base: "app", digest: NEW, dependents: ["team/on-latest", "team/on-mirror", "team/on-v1"] }, { kind: "tenant", tenant: "team" });
    if (!result.ok) throw new Error(result.message);
    expect(result.plan.levels).toEqual([["team/on-latest", "team/on-mirror", "team/on-v1"], ["team/below"]]);
    for (const id of ["team/on-latest", "team/on-mirror", "team/on-v1"]) {
      expect(result.plan.nodes.find((n) => n.id === id)?.bases).toEqual([expect.objectContaining({ pin: "pinned", digest: NEW })]);
    }
  });

  it("plans only the dependents asked for, and what is below them", () => {
    const result = planWave(graph, { base: "app", digest: NEW, dependents: ["team/on-v1"] }, { kind: "tenant", tenant: "team" });
    expect(result.ok && result.plan.levels).toEqual([["team/on-v1"]]);
  });
});
