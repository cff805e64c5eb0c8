import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { CatalogStore } from "../catalog-store/catalog-store.js";
import { keyspace } from "../redis/keyspace.js";
import { REG, digest, entry } from "../test-support/catalog.js";
import { planRebuild } from "./runner.js";

describe("planRebuild", () => {
  const redis = useRedis();

  async function catalogOf(...images: [name: string, dockerfile: string][]) {
    const catalog = new CatalogStore(redis.connection(), keyspace(redis.prefix));
    for (const [name, dockerfile] of images) {
      const { tenant, image } = entry(name, dockerfile);
      const res = await catalog.apply(tenant, image);
      if (!res.ok) throw new Error(res.check.message);
    }
    return catalog;
  }

  const admin = { kind: "admin" } as const;

  it("plans a second time from the graph of the unchanged catalog, and from a new one after an apply", async () => {
    const catalog = await catalogOf(["base", "FROM debian:bookworm-slim\n"], ["app", `FROM ${REG}/team/base:v1\n`]);

    const first = await planRebuild({ catalog }, admin, { base: "team/base" });
    const again = await planRebuild({ catalog }, admin, { base: "team/base" });
    expect(again.graph).toBe(first.graph);
    expect(again.result).toEqual(first.result);

    const { tenant, image } = entry("tool", `FROM ${REG}/team/base:v1\n`);
    await catalog.apply(tenant, image);
    const after = await planRebuild({ catalog }, admin, { base: "team/base" });
    expect(after.graph).not.toBe(first.graph);
    expect(after.result.ok && after.result.plan.nodes.map((n) => n.id)).toEqual(["team/base", "team/app", "team/tool"]);
  });

  it("builds the graph again when an image produced a new digest", async () => {
    const catalog = await catalogOf(["base", "FROM debian:bookworm-slim\n"], ["app", `FROM ${REG}/team/base@${digest(7)}\n`]);
    const before = await planRebuild({ catalog }, admin, { base: "team/base" });
    expect(before.result.ok && before.result.plan.nodes.map((n) => n.id)).toEqual(["team/base"]);

    // Once base produced digest 7, app (FROM that digest) is its child.
    await catalog.recordBuild("team/base", { buildId: "01jabcdefghjkmnpqrstvwxyz0", digest: digest(7), builtFrom: {} });
    const after = await planRebuild({ catalog }, admin, { base: "team/base" });
    expect(after.graph).not.toBe(before.graph);
    expect(after.result.ok && after.result.plan.nodes.map((n) => n.id)).toEqual(["team/base", "team/app"]);
  });
});
