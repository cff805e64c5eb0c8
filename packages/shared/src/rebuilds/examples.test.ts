import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { buildGraph, prepareEntry } from "../catalog/graph.js";
import type { CatalogEntry } from "../catalog/graph.js";
import { parseImage } from "../catalog/image.js";
import { digest } from "../test-support/catalog.js";
import { pinBuildRequest } from "./pin.js";
import { planWave } from "./plan.js";
import { advance, applyOutcome, pinsFor, startWave } from "./wave.js";

// The layered examples (debian base → Python runtime → app) as catalog Images.
const example = (file: string, name: string, tenant: string): CatalogEntry => {
  const build = parse(readFileSync(new URL(`../../../../examples/${file}`, import.meta.url), "utf8")) as unknown;
  return prepareEntry(tenant, parseImage({ apiVersion: "buildfleet.dev/v1", kind: "Image", metadata: { name }, spec: { build } }));
};
const catalog = [
  example("debian-base.yaml", "debian-base", "platform"),
  example("python-runtime.yaml", "python-runtime", "platform"),
  example("app.yaml", "hello", "payments"),
];

describe("the offline catalog example", () => {
  // What `pnpm dev` builds for real without network: the offline request files as Images, unchanged.
  const images = parseAllDocuments(readFileSync(new URL("../../../../examples/catalog-offline/layered.yaml", import.meta.url), "utf8")).map((d) => parseImage(d.toJS()));

  it("is the offline request files as Images", () => {
    expect(images.map((i) => i.metadata.name)).toEqual(["offline-runtime", "offline-hello"]);
    expect(images.map((i) => i.spec.build)).toEqual([example("offline-runtime.yaml", "a", "dev").image.spec.build, example("offline-app.yaml", "b", "dev").image.spec.build]);
  });

  it("plans the runtime, then the app pinned to it", () => {
    const result = planWave(buildGraph({ entries: images.map((i) => prepareEntry("dev", i)) }), { base: "offline-runtime" }, { kind: "admin" });
    expect(result.ok && result.plan.levels).toEqual([["dev/offline-runtime"], ["dev/offline-hello"]]);
    expect(result.ok && result.plan.nodes[1]?.bases.map((b) => b.pin)).toEqual(["pinned"]);
  });
});

describe("the layered examples", () => {
  it("plan as three levels: base, runtime, app", () => {
    const result = planWave(buildGraph({ entries: catalog }), { base: "debian-base" }, { kind: "admin" });
    expect(result.ok && result.plan.levels).toEqual([["platform/debian-base"], ["platform/python-runtime"], ["payments/hello"]]);
  });

  it("run in order, each dependent pinned to the digest its parent just built", () => {
    const result = planWave(buildGraph({ entries: catalog }), { base: "debian:bookworm-slim", digest: digest(1) }, { kind: "admin" });
    if (!result.ok) throw new Error(result.message);
    const plan = result.plan;
    let wave = startWave(plan);
    const builtFrom: Record<string, Record<string, string>> = {};
    for (let n = 2; ; n++) {
      const step = advance(wave);
      wave = step.wave;
      const [node] = step.enqueue;
      if (node === undefined) break;
      const planned = plan.nodes.find((p) => p.id === node.id)!;
      const pinned = pinBuildRequest(catalog.find((e) => `${e.tenant}/${e.image.metadata.name}` === node.id)!.image.spec.build, pinsFor(wave, planned));
      if (!pinned.ok) throw new Error(pinned.reason);
      builtFrom[node.id] = { ...pinned.request.buildArgs, dockerfile: "inline" in pinned.request.dockerfile ? pinned.request.dockerfile.inline.split("\n")[0]! : "" };
      wave = applyOutcome(wave, { id: node.id, attempt: 1, type: "succeeded", digest: digest(n) }).wave;
    }
    expect(Object.keys(builtFrom)).toEqual(["platform/debian-base", "platform/python-runtime", "payments/hello"]);
    expect(builtFrom["platform/debian-base"]?.dockerfile).toBe(`FROM docker.io/library/debian:bookworm-slim@${digest(1)}`);
    expect(builtFrom["platform/python-runtime"]?.BASE).toBe(`registry.internal:5000/base/debian:bookworm-slim-2025.01@${digest(2)}`);
    expect(builtFrom["payments/hello"]?.RUNTIME).toBe(`registry.internal:5000/base/python:3.11-2025.01@${digest(3)}`);
  });
});
