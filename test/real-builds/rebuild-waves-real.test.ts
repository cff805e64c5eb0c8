import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuildfleetClient, WaveView } from "@buildfleet/sdk";
import type { LocalStack } from "@buildfleet/dev";
import { manifestDigest, readManifest, realBuildsSkipReason } from "@buildfleet/testkit";
import { startRealStack, type RealStack } from "./real-stack.js";

/**
 * Rebuild waves on real builds (API → worker + coordinator → kubesim
 * --executor=buildah → a real registry): the layered chain base → runtime →
 * app, offline (on the seeded busybox), applied as Images. When the base
 * changes, a wave rebuilds all three in order, each pinned to the digest its
 * parent just pushed, and the registry's manifests prove it: the app's layers
 * are the new runtime's plus its own.
 */
const skip = realBuildsSkipReason();
if (skip !== undefined) console.warn(`[real-builds] skipped: ${skip}`);

const TIMEOUT = 90_000;
const ALIAS = "registry.internal:5000";

let stack: LocalStack;
let client: BuildfleetClient;
let real: RealStack;

const registryUrl = () => stack.realBuilds?.registry.url ?? "";

/** The three layers; `version` changes what the base's RUN writes, so a new base has a new layer. */
function layered(version: string): Record<string, unknown>[] {
  const image = (name: string, build: Record<string, unknown>) => ({
    apiVersion: "buildfleet.dev/v1",
    kind: "Image",
    metadata: { name, labels: { chain: "waves-real" } },
    spec: { build: { context: { type: "inline", files: {} }, retries: 0, ...build } },
  });
  return [
    image("waves-base", {
      dockerfile: { inline: `FROM busybox\nRUN echo "base ${version}" > /base-version\n` },
      destinations: [`${ALIAS}/waves/base:1.0.0`],
    }),
    // The runtime takes its base from a build arg: pinning sets the arg.
    image("waves-runtime", {
      dockerfile: { inline: `ARG BASE=${ALIAS}/waves/base:1.0.0\nFROM \${BASE}\nRUN cat /base-version > /runtime-built-on\n` },
      buildArgs: { BASE: `${ALIAS}/waves/base:1.0.0` },
      destinations: [`${ALIAS}/waves/runtime:1.0.0`],
    }),
    // The app names its base literally: pinning rewrites the FROM.
    image("waves-app", {
      dockerfile: { inline: `FROM ${ALIAS}/waves/runtime:1.0.0\nRUN cat /runtime-built-on > /app-built-on\n` },
      destinations: [`${ALIAS}/waves/app:1.0.0`],
    }),
  ];
}

const layers = async (repo: string) => (await readManifest(registryUrl(), repo, "1.0.0")).layers.map((l) => l.digest);

function node(wave: WaveView, name: string) {
  const found = wave.nodes.find((n) => n.image === name || n.id.endsWith(`/${name}`));
  if (found === undefined) throw new Error(`no node ${name} in wave ${wave.id}`);
  return found;
}

async function runWave(): Promise<WaveView> {
  const started = await client.rebuilds.start({ base: "waves-base" });
  const done = await client.rebuilds.waitFor(started.id, { timeout: TIMEOUT * 3, pollIntervalMs: 500 });
  expect({ state: done.state, nodes: done.nodes.map((n) => `${n.id} ${n.state} ${n.reason ?? ""}`) }).toMatchObject({ state: "succeeded" });
  return done;
}

describe.skipIf(skip !== undefined)("real builds: a rebuild wave pins each layer to the digest its parent pushed", () => {
  beforeAll(async () => {
    real = await startRealStack("waves-real", [ALIAS]);
    ({ stack, client } = real);
  }, TIMEOUT);

  afterAll(async () => {
    await real?.stop();
  });

  it(
    "rebuilds base → runtime → app after a base change: each record names its parent's new digest, the app's layers are the new runtime's",
    async () => {
      for (const doc of layered("1")) await client.images.apply(doc);
      const plan = await client.rebuilds.plan({ base: "waves-base" });
      expect(plan.levels.map((level) => level.map((id) => id.split("/").at(-1)))).toEqual([["waves-base"], ["waves-runtime"], ["waves-app"]]);
      await runWave();
      const runtimeBefore = await layers("waves/runtime");

      // The base changes (a new layer); the wave rebuilds everything below it.
      for (const doc of layered("2")) await client.images.apply(doc);
      const wave = await runWave();
      const [base, runtime, app] = ["waves-base", "waves-runtime", "waves-app"].map((name) => node(wave, name));

      // What the registry holds under each tag is what the wave built.
      expect(await manifestDigest(registryUrl(), "waves/base", "1.0.0")).toBe(base!.digest);
      expect(await manifestDigest(registryUrl(), "waves/runtime", "1.0.0")).toBe(runtime!.digest);
      expect(await manifestDigest(registryUrl(), "waves/app", "1.0.0")).toBe(app!.digest);

      // Each dependent's build record names the digest its parent just pushed, and was built after it.
      const [baseBuild, runtimeBuild, appBuild] = await Promise.all([base, runtime, app].map((n) => client.get(n!.buildId!)));
      expect(Date.parse(runtimeBuild!.createdAt)).toBeGreaterThanOrEqual(Date.parse(baseBuild!.finishedAt!));
      expect(Date.parse(appBuild!.createdAt)).toBeGreaterThanOrEqual(Date.parse(runtimeBuild!.finishedAt!));
      expect(runtimeBuild!.request.buildArgs?.["BASE"]).toBe(`${ALIAS}/waves/base:1.0.0@${base!.digest}`);
      const appDockerfile = "inline" in appBuild!.request.dockerfile ? appBuild!.request.dockerfile.inline : "";
      expect(appDockerfile).toContain(`FROM ${ALIAS}/waves/runtime:1.0.0@${runtime!.digest}`);
      expect(runtime!.pins).toEqual([expect.objectContaining({ base: `${ALIAS}/waves/base:1.0.0`, digest: base!.digest, state: "pinned" })]);
      expect(app!.pins).toEqual([expect.objectContaining({ base: `${ALIAS}/waves/runtime:1.0.0`, digest: runtime!.digest, state: "pinned" })]);
      await expect
        .poll(async () => (await client.images.get("waves-app")).status.builtFrom, { timeout: 15_000 })
        .toEqual({ [`${ALIAS}/waves/runtime:1.0.0`]: runtime!.digest });

      // On the registry: the app's layers are the new runtime's, in order, plus its own; the old runtime's top layer is gone.
      const baseLayers = await layers("waves/base");
      const runtimeLayers = await layers("waves/runtime");
      const appLayers = await layers("waves/app");
      expect(runtimeLayers.slice(0, baseLayers.length)).toEqual(baseLayers);
      expect(appLayers.length).toBeGreaterThan(runtimeLayers.length);
      expect(appLayers.slice(0, runtimeLayers.length)).toEqual(runtimeLayers);
      expect(runtimeLayers).not.toEqual(runtimeBefore);
      expect(appLayers).not.toContain(runtimeBefore.at(-1));
    },
    TIMEOUT * 8,
  );
});
