import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { BUILD_TIMEOUT_MS, EXAMPLES_DIR, rewriteRegistry, useE2eStack } from "./e2e-env.js";

/**
 * A rebuild wave through the local stack as `pnpm dev` runs it: the layered
 * catalog example applied with the SDK, a wave started over HTTP, its first
 * level enqueued by the API and the rest by the coordinator in the worker process.
 */

const e2e = useE2eStack("wave");

/** The catalog example's Images, pushing to (and building FROM) the test registry. */
function catalogImages(): Record<string, unknown>[] {
  const text = readFileSync(join(EXAMPLES_DIR, "catalog", "layered.yaml"), "utf8");
  return parseAllDocuments(text).map((d) => {
    const image = d.toJS() as { spec: { build: { destinations: string[]; buildArgs?: Record<string, string> } } };
    const build = image.spec.build;
    build.destinations = build.destinations.map(rewriteRegistry);
    if (build.buildArgs) build.buildArgs = Object.fromEntries(Object.entries(build.buildArgs).map(([k, v]) => [k, rewriteRegistry(v)]));
    return image;
  });
}

describe("a rebuild wave end to end", () => {
  it(
    "applies the layered catalog and rebuilds base → runtime → app, each pinned to its parent's new digest",
    async () => {
      for (const image of catalogImages()) expect((await e2e.client.images.apply(image)).result).toBe("created");
      const plan = await e2e.client.rebuilds.plan({ base: "debian-base" });
      expect(plan.levels.map((l) => l.map((id) => id.split("/")[1]))).toEqual([["debian-base"], ["python-runtime"], ["hello"]]);

      const started = await e2e.client.rebuilds.start({ base: "debian-base", reason: "e2e" });
      const done = await e2e.client.rebuilds.waitFor(started.id, { timeout: 3 * BUILD_TIMEOUT_MS, pollIntervalMs: 250 });

      expect(done.state).toBe("succeeded");
      const [base, runtime, app] = done.nodes;
      expect(runtime?.pins[0]).toMatchObject({ state: "pinned", digest: base?.digest });
      expect(app?.pins[0]).toMatchObject({ state: "pinned", digest: runtime?.digest });
      const appBuild = await e2e.client.get(app?.buildId ?? "");
      expect(Object.values(appBuild.request.buildArgs ?? {}).join(" ")).toContain(`@${runtime?.digest ?? "?"}`);
      expect((await e2e.client.images.get("hello")).status.builtFrom).toEqual({ [String(app?.pins[0]?.base)]: runtime?.digest });
    },
    5 * BUILD_TIMEOUT_MS,
  );
});
