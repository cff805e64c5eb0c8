import { describe, expect, it } from "vitest";
import { buildGraph } from "../catalog/graph.js";
import { REG, digest, entry, fromImages } from "../test-support/catalog.js";
import { planWave } from "./plan.js";
import type { PlanResult, TenantScope, WaveTrigger } from "./plan.js";

const admin: TenantScope = { kind: "admin" };
const team: TenantScope = { kind: "tenant", tenant: "team" };

const layered = buildGraph({
  entries: [
    entry("debian", "FROM debian:bookworm-slim"),
    entry("python", `ARG BASE=${REG}/team/debian:v1\nFROM $BASE`, { onBaseChange: true }),
    entry("node", fromImages("debian")),
    entry("app", `${fromImages("python")}\nFROM ${REG}/team/node:v1\nCOPY --from=s0 /venv /venv`, { onBaseChange: true }),
    entry("other", fromImages("team/python"), { tenant: "payments", onBaseChange: true }),
  ],
});

const plan = (trigger: WaveTrigger, scope: TenantScope = admin, graph = layered) => {
  const result: PlanResult = planWave(graph, trigger, scope);
  if (!result.ok) throw new Error(result.message);
  return result.plan;
};

describe("planWave", () => {
  it("rebuilds an image named as base first, then everything below it, in levels", () => {
    expect(plan({ base: "debian" }).levels).toEqual([["team/debian"], ["team/node", "team/python"], ["payments/other", "team/app"]]);
  });

  it("gives each node its image, tenant, parents in the wave and the bases it will be pinned to", () => {
    const app = plan({ base: "debian" }).nodes.find((n) => n.id === "team/app");
    expect(app).toMatchObject({ image: "app", tenant: "team", level: 2, parents: ["team/node", "team/python"], warnings: [] });
    expect(app?.bases.map((b) => [b.reference, b.pin, b.parent, b.source.kind])).toEqual([
      [`${REG}/team/python:v1`, "pinned", "team/python", "from"],
      [`${REG}/team/node:v1`, "pinned", "team/node", "from"],
    ]);
    const python = plan({ base: "debian" }).nodes.find((n) => n.id === "team/python");
    expect(python?.bases[0]).toMatchObject({ pin: "pinned", parent: "team/debian", source: { kind: "build-arg", name: "BASE" } });
  });

  it("rebuilds only the images that build FROM a reference, pinned to its digest when given", () => {
    const result = plan({ base: `${REG}/team/node:v1`, digest: digest(9) });
    expect(result.levels).toEqual([["team/app"]]);
    expect(result.nodes[0]?.bases).toEqual([
      expect.objectContaining({ reference: `${REG}/team/python:v1`, pin: "unchanged" }),
      expect.objectContaining({ reference: `${REG}/team/node:v1`, pin: "pinned", digest: digest(9) }),
    ]);
  });

  it("pins a base that names the reference with an older digest to the new one", () => {
    const graph = buildGraph({ entries: [entry("pinned", `FROM debian:12@${digest(1)}`)] });
    const result = plan({ base: "debian:12", digest: digest(2) }, admin, graph);
    expect(result.nodes[0]?.bases[0]).toMatchObject({ reference: `docker.io/library/debian:12@${digest(1)}`, pin: "pinned", digest: digest(2) });
  });

  it("warns that a reference given without a digest is built from its tag", () => {
    const result = plan({ base: "debian:bookworm-slim" });
    expect(result.levels[0]).toEqual(["team/debian"]);
    expect(result.nodes[0]?.bases[0]?.pin).toBe("unpinned");
    expect(result.nodes[0]?.warnings).toEqual(["docker.io/library/debian:bookworm-slim is built from its tag, unpinned: the wave was started without its digest"]);
  });

  it("plans zero nodes and says so for a base no image builds FROM", () => {
    expect(plan({ base: "alpine:3.20" })).toEqual({
      levels: [],
      nodes: [],
      warnings: ["no catalog image builds FROM docker.io/library/alpine:3.20: nothing to rebuild"],
    });
    expect(plan({ base: "Not A Ref" }).warnings[0]).toContain("neither an image in the catalog nor a valid image reference");
  });

  it("builds just the images listed, in dependency order", () => {
    const result = plan({ images: ["app", "debian", "python"] }, team);
    expect(result.levels).toEqual([["team/debian"], ["team/python"], ["team/app"]]);
    expect(result.nodes.find((n) => n.id === "team/app")?.bases.map((b) => b.pin)).toEqual(["pinned", "unchanged"]);
  });

  it("refuses an image name it cannot find or that several tenants use", () => {
    const graph = buildGraph({ entries: [entry("x", "FROM a:1", { tenant: "a" }), entry("x", "FROM b:1", { tenant: "b" })] });
    expect(planWave(graph, { images: ["y"] }, admin)).toEqual({ ok: false, problem: "not-found", message: "no image y in the catalog" });
    expect(planWave(graph, { base: "x" }, admin)).toMatchObject({ ok: false, problem: "ambiguous" });
    expect(plan({ base: "b/x" }, admin, graph).levels).toEqual([["b/x"]]);
  });

  describe("tenancy", () => {
    it("includes only a tenant's own images in its wave", () => {
      expect(plan({ base: "debian" }, team).levels).toEqual([["team/debian"], ["team/node", "team/python"], ["team/app"]]);
      expect(planWave(layered, { images: ["other"] }, team)).toMatchObject({ ok: false, problem: "not-found" });
    });

    it("includes every tenant's dependents for admin", () => {
      expect(plan({ base: "python" }).levels).toEqual([["team/python"], ["payments/other", "team/app"]]);
    });

    it("includes the opted-in images of any tenant in an automatic wave, never the image that triggered it", () => {
      expect(plan({ base: "python", digest: digest(3) }, { kind: "automatic" }).levels).toEqual([["payments/other", "team/app"]]);
      const other = plan({ base: "python", digest: digest(3) }, { kind: "automatic" }).nodes[0];
      expect(other?.bases[0]).toMatchObject({ pin: "pinned", digest: digest(3) });
      // node has not opted in: a debian change rebuilds python, and app only through python.
      expect(plan({ base: "debian", digest: digest(4) }, { kind: "automatic" }).levels).toEqual([["team/python"], ["payments/other", "team/app"]]);
    });
  });

  it("warns about images it cannot place: an unresolved root, declared bases, unresolved images in scope", () => {
    const graph = buildGraph({
      entries: [
        entry("base", "FROM debian:12"),
        entry("svc", "", { declared: [`${REG}/team/base:v1`] }),
        entry("odd", "ARG X\nFROM $X"),
      ],
    });
    const result = plan({ base: "base" }, team, graph);
    expect(result.warnings).toEqual(["1 image(s) with unresolved bases could also build FROM this base and are not in the wave: team/odd"]);
    expect(result.nodes.find((n) => n.id === "team/svc")?.warnings).toEqual([
      `${REG}/team/base:v1 is built from its tag, unpinned: its Dockerfile is in the git context, which buildfleet cannot rewrite`,
    ]);
    expect(plan({ images: ["odd"] }, team, graph).nodes[0]?.warnings[0]).toContain("its bases are unresolved (the FROM on line 2 cannot be resolved");
  });

  it("is deterministic: the same catalog in another order gives the same plan", () => {
    const shuffled = buildGraph({ entries: [...layered.ids].reverse().map((id) => layered.nodes.get(id)!.entry) });
    expect(plan({ base: "debian" }, admin, shuffled)).toEqual(plan({ base: "debian" }));
  });
});
