import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { BuildfleetClient } from "@buildfleet/sdk";
import { startLocalStack, type LocalStack } from "@buildfleet/dev";
import { uniquePrefix } from "@buildfleet/testkit";
import { BUILD_TIMEOUT_MS, EXAMPLES_DIR, clusterEnv, kubeconfig, registries, rewriteRegistry } from "./e2e-env.js";

/**
 * A rebuild wave through the local stack as `pnpm dev` runs it: the layered
 * catalog example applied with the SDK, a wave started over HTTP, its first
 * level enqueued by the API and the rest by the coordinator in the worker process.
 */

let stack: LocalStack;
let client: BuildfleetClient;
let stateDir: string;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "buildfleet-e2e-wave-"));
  stack = await startLocalStack({
    redisUrl: inject("redisUrl"),
    prefix: uniquePrefix(),
    stateDir,
    writeEnvFile: false,
    logLevel: (process.env["TEST_LOG_LEVEL"] as "silent" | undefined) ?? "silent",
    registries,
    env: clusterEnv(),
    ...(kubeconfig !== undefined ? { kubeconfig } : {}),
  });
  client = new BuildfleetClient({ baseUrl: stack.url, token: stack.token });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

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
      for (const image of catalogImages()) expect((await client.images.apply(image)).result).toBe("created");
      const plan = await client.rebuilds.plan({ base: "debian-base" });
      expect(plan.levels.map((l) => l.map((id) => id.split("/")[1]))).toEqual([["debian-base"], ["python-runtime"], ["hello"]]);

      const started = await client.rebuilds.start({ base: "debian-base", reason: "e2e" });
      const done = await client.rebuilds.waitFor(started.id, { timeout: 3 * BUILD_TIMEOUT_MS, pollIntervalMs: 250 });

      expect(done.state).toBe("succeeded");
      const [base, runtime, app] = done.nodes;
      expect(runtime?.pins[0]).toMatchObject({ state: "pinned", digest: base?.digest });
      expect(app?.pins[0]).toMatchObject({ state: "pinned", digest: runtime?.digest });
      const appBuild = await client.get(app?.buildId ?? "");
      expect(Object.values(appBuild.request.buildArgs ?? {}).join(" ")).toContain(`@${runtime?.digest ?? "?"}`);
      expect((await client.images.get("hello")).status.builtFrom).toEqual({ [String(app?.pins[0]?.base)]: runtime?.digest });
    },
    5 * BUILD_TIMEOUT_MS,
  );
});
