import { describe, expect, it } from "vitest";
import { REG, digest, entry, fromImages } from "../test-support/catalog.js";
import { buildGraph, checkApply, childIds, dependents, directDependents, findCycle, parentIds } from "./graph.js";

const layered = [
  entry("debian", "FROM debian:bookworm-slim"),
  entry("python", `ARG BASE=${REG}/team/debian:v1\nFROM $BASE`),
  entry("node", `FROM ${REG}/team/debian:v1`),
  entry("app", `FROM ${REG}/team/python:v1 AS py\nFROM ${REG}/team/node:v1\nCOPY --from=py /venv /venv`),
];

describe("buildGraph", () => {
  it("links an image to the images whose pushed tags it builds FROM", () => {
    const graph = buildGraph({ entries: layered });
    expect(childIds(graph, "team/debian")).toEqual(["team/node", "team/python"]);
    expect(parentIds(graph, "team/app")).toEqual(["team/node", "team/python"]);
    expect(graph.edges.find((e) => e.to === "team/python")).toMatchObject({
      from: "team/debian",
      reference: `${REG}/team/debian:v1`,
      source: { kind: "build-arg", name: "BASE" },
    });
  });

  it("matches references after normalising, and not a tag the parent does not push", () => {
    const graph = buildGraph({
      entries: [
        entry("mirror", "FROM busybox", { pushes: ["docker.io/library/busybox:1.36"] }),
        entry("a", "FROM busybox:1.36"),
        entry("b", "FROM busybox:1.37"),
      ],
    });
    expect(childIds(graph, "team/mirror")).toEqual(["team/a"]);
  });

  it("links a base pinned to a digest the parent produced, known from the digests passed in", () => {
    const entries = [entry("base", "FROM debian:12"), entry("pinned", `FROM ${REG}/team/base@${digest(7)}`)];
    expect(childIds(buildGraph({ entries }), "team/base")).toEqual([]);
    expect(childIds(buildGraph({ entries, digests: new Map([["team/base", [digest(7)]]]) }), "team/base")).toEqual(["team/pinned"]);
  });

  it("uses declared bases of an image whose Dockerfile it cannot read, and leaves unresolved images unlinked", () => {
    const graph = buildGraph({
      entries: [entry("debian", "FROM debian:12"), entry("svc", "", { declared: [`${REG}/team/debian:v1`] }), entry("odd", "ARG X\nFROM $X")],
    });
    expect(childIds(graph, "team/debian")).toEqual(["team/svc"]);
    expect(graph.nodes.get("team/odd")?.resolution).toMatchObject({ state: "unresolved" });
  });

  it("links across tenants: references are registry names", () => {
    const graph = buildGraph({ entries: [entry("debian", "FROM debian:12", { tenant: "platform" }), entry("app", fromImages("platform/debian"), { tenant: "payments" })] });
    expect(childIds(graph, "platform/debian")).toEqual(["payments/app"]);
  });
});

describe("dependents", () => {
  const graph = buildGraph({ entries: layered });

  it("lists everything below an image, each once, breadth first", () => {
    expect(dependents(graph, { id: "team/debian" })).toEqual(["team/node", "team/python", "team/app"]);
    expect(dependents(graph, { id: "team/app" })).toEqual([]);
  });

  it("starts from the images that build FROM a reference, normalised", () => {
    expect(directDependents(graph, "docker.io/library/debian:bookworm-slim")).toEqual(["team/debian"]);
    expect(dependents(graph, { reference: "debian:bookworm-slim" })).toEqual(["team/debian", "team/node", "team/python", "team/app"]);
    expect(dependents(graph, { reference: "debian:12" })).toEqual([]);
  });
});

describe("findCycle and checkApply", () => {
  it("finds no cycle in a DAG", () => {
    expect(findCycle(buildGraph({ entries: layered }))).toBeUndefined();
    expect(checkApply({ entries: layered }, entry("app", fromImages("python"))).ok).toBe(true);
  });

  it("refuses an image that would close a cycle, naming it", () => {
    const catalog = { entries: [entry("a", "FROM debian:12"), entry("b", fromImages("a"))] };
    const result = checkApply(catalog, entry("a", fromImages("b")));
    expect(result).toEqual({ ok: false, problem: "cycle", cycle: ["team/a", "team/b", "team/a"], message: "applying image a would close a cycle: a → b → a" });
  });

  it("refuses a self-reference as a cycle", () => {
    const result = checkApply({ entries: [] }, entry("loop", fromImages("loop")));
    expect(result).toMatchObject({ ok: false, problem: "cycle", cycle: ["team/loop", "team/loop"] });
    expect(result.ok || result.message).toBe("image loop would build FROM its own output (loop → loop): a self-reference is a cycle");
  });

  it("names a longer cycle across tenants with tenant/name", () => {
    const catalog = { entries: [entry("a", "FROM debian:12", { tenant: "x" }), entry("b", fromImages("x/a")), entry("c", fromImages("team/b"))] };
    const result = checkApply(catalog, entry("a", fromImages("team/c"), { tenant: "x" }));
    expect(result.ok || result.message).toBe("applying image a would close a cycle: x/a → team/b → team/c → x/a");
  });

  it("refuses a tag another image already pushes, but not the image's own re-apply", () => {
    const catalog = { entries: [entry("a", "FROM debian:12")] };
    expect(checkApply(catalog, entry("copy", "FROM alpine:3", { pushes: [`${REG}/team/a:v1`] }))).toMatchObject({
      ok: false,
      problem: "destination-taken",
      owner: "team/a",
    });
    expect(checkApply(catalog, entry("a", "FROM alpine:3")).ok).toBe(true);
  });

  it("walks a deep chain without overflowing the stack", () => {
    const entries = Array.from({ length: 2000 }, (_, i) => entry(`n${i}`, i === 0 ? "FROM debian:12" : fromImages(`n${i - 1}`)));
    expect(checkApply({ entries }, entry("n0", fromImages("n1999")))).toMatchObject({ ok: false, problem: "cycle" });
  });
});
