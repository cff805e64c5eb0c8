import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BuildFailedError, BuildfleetClient } from "@buildfleet/sdk";
import { startLocalStack, type LocalStack } from "@buildfleet/dev";
import { manifestDigest, readImageConfig, readManifest, realBuildsSkipReason, startRegistry, uniquePrefix, type TestRegistry } from "@buildfleet/testkit";
import { loadExamples } from "../e2e/e2e-env.js";

/**
 * API + worker + kubesim --executor=buildah + a real registry: every digest is
 * the one the registry holds, every failure the real one.
 */
const skip = realBuildsSkipReason();
if (skip !== undefined) console.warn(`[real-builds] skipped: ${skip}`);

const TIMEOUT = 90_000;
const NS = "buildfleet";
const ALIAS = "registry.internal:5000";

let stack: LocalStack;
let client: BuildfleetClient;
let stateDir: string;
let authRegistry: TestRegistry;
const user = { username: "pusher", password: "right-password" };

function registryUrl(): string {
  return stack.realBuilds?.registry.url ?? "";
}

/** `registry.internal:5000/a/b:tag` → ["a/b", "tag"] */
function repoTag(destination: string): [string, string] {
  const path = destination.slice(destination.indexOf("/") + 1);
  const at = path.lastIndexOf(":");
  return [path.slice(0, at), path.slice(at + 1)];
}

async function logOf(id: string): Promise<string> {
  const lines: string[] = [];
  for await (const line of client.logs(id)) lines.push(line);
  return lines.join("\n");
}

async function failureOf(id: string): Promise<BuildFailedError> {
  const err = await client.waitFor(id, { timeout: TIMEOUT }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BuildFailedError);
  return err as BuildFailedError;
}

function setRegcred(auths: Record<string, { username: string; password: string }>): void {
  const store = stack.sim!.control.store;
  if (store.get("secrets", NS, "regcred") !== undefined) store.delete("secrets", NS, "regcred");
  const config = { auths: Object.fromEntries(Object.entries(auths).map(([h, u]) => [h, { auth: Buffer.from(`${u.username}:${u.password}`).toString("base64") }])) };
  store.create("secrets", NS, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "regcred" },
    type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": Buffer.from(JSON.stringify(config)).toString("base64") },
  });
}

describe.skipIf(skip !== undefined)("real builds: API → worker → kubesim → buildah → registry", () => {
  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "buildfleet-real-"));
    authRegistry = await startRegistry({ ignoreEnv: true, users: [user] });
    stack = await startLocalStack({
      redisUrl: inject("redisUrl"),
      prefix: uniquePrefix(),
      stateDir,
      writeEnvFile: false,
      logLevel: (process.env["TEST_LOG_LEVEL"] as "silent" | undefined) ?? "silent",
      registries: [ALIAS, authRegistry.host],
      realBuilds: { volumeRoot: join(stateDir, "volumes") },
    });
    client = new BuildfleetClient({ baseUrl: stack.url, token: stack.token });
  }, TIMEOUT);

  afterAll(async () => {
    await stack?.stop();
    await authRegistry?.stop();
    if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
  });

  it(
    "builds the busybox mirror and the offline chain; each digest is the registry's, each layer list extends its parent's",
    async () => {
      const examples = new Map(loadExamples().map((e) => [e.file, e.request]));
      const results = new Map<string, { digest: string; destinations: string[] }>();
      // In order: the runtime needs the seeded busybox, the app needs the runtime.
      for (const file of ["busybox-mirror.yaml", "offline-runtime.yaml", "offline-app.yaml"]) {
        const request = examples.get(file)!;
        const { id } = await client.submit(request);
        const build = await client.waitFor(id, { timeout: TIMEOUT });
        expect(build.events.at(-1)?.type).toBe("build.succeeded");
        const destinations = request["destinations"] as string[];
        for (const d of destinations) {
          const [repo, tag] = repoTag(d);
          expect({ d, digest: await manifestDigest(registryUrl(), repo, tag) }).toEqual({ d, digest: build.digest });
        }
        results.set(file, { digest: build.digest ?? "", destinations });
      }
      const layers = async (repo: string, ref: string) => (await readManifest(registryUrl(), repo, ref)).layers.map((l) => l.digest);
      const base = await layers("library/busybox", "latest");
      const runtime = await layers("base/runtime", "1.0.0");
      const app = await layers("apps/offline-hello", "1.0.0");
      expect(runtime.length).toBeGreaterThan(base.length);
      expect(runtime.slice(0, base.length)).toEqual(base);
      expect(app.length).toBeGreaterThan(runtime.length);
      expect(app.slice(0, runtime.length)).toEqual(runtime);
      const config = (await readImageConfig(registryUrl(), "apps/offline-hello", "1.0.0")) as { config?: { Labels?: Record<string, string> } };
      expect(config.config?.Labels?.["org.opencontainers.image.version"]).toBe("1.0.0");
    },
    TIMEOUT * 3,
  );

  it(
    "fails a build whose RUN fails, with the real error line in its log",
    async () => {
      const { id } = await client.submit({
        context: { type: "inline", files: {} },
        dockerfile: { inline: "FROM busybox\nRUN echo compiling && echo 'fatal: missing header foo.h' >&2 && exit 2\n" },
        destinations: [`${ALIAS}/real/run-fails:1.0.0`],
        retries: 0,
      });
      const failed = await failureOf(id);
      expect(failed.build.failure?.reason).toBeTruthy();
      const log = await logOf(id);
      expect(log).toContain("fatal: missing header foo.h");
      expect(log).toMatch(/exit status 2/);
      expect(await manifestDigest(registryUrl(), "real/run-fails", "1.0.0")).toBeUndefined();
    },
    TIMEOUT,
  );

  it(
    "fails a build FROM a base tag that does not exist, naming it in the log",
    async () => {
      const { id } = await client.submit({
        context: { type: "inline", files: {} },
        dockerfile: { inline: "FROM busybox:0.0.0-does-not-exist\n" },
        destinations: [`${ALIAS}/real/no-base:1.0.0`],
        retries: 0,
      });
      const failed = await failureOf(id);
      expect(failed.build.state).toBe("failed");
      expect(await logOf(id)).toMatch(/busybox:0\.0\.0-does-not-exist.*(manifest unknown|not found)/is);
    },
    TIMEOUT,
  );

  it(
    "pushes with the right credentials and fails with the registry's 401 on wrong ones",
    async () => {
      const request = (tag: string) => ({
        context: { type: "inline" as const, files: {} },
        dockerfile: { inline: "FROM busybox\nRUN echo authed > /authed\n" },
        destinations: [`${authRegistry.host}/real/authed:${tag}`],
        registryCredentials: { secretName: "regcred" },
        retries: 0,
      });
      setRegcred({ [authRegistry.host]: user });
      const ok = await client.waitFor((await client.submit(request("1.0.0"))).id, { timeout: TIMEOUT });
      expect(await manifestDigest(authRegistry.url, "real/authed", "1.0.0", user)).toBe(ok.digest);

      setRegcred({ [authRegistry.host]: { username: user.username, password: "wrong-password" } });
      const { id } = await client.submit(request("1.0.1"));
      const failed = await failureOf(id);
      expect(failed.build.state).toBe("failed");
      expect(await logOf(id)).toMatch(/401|unauthorized|authentication required/i);
      expect(await manifestDigest(authRegistry.url, "real/authed", "1.0.1", user)).toBeUndefined();

      const { registryCredentials: _none, ...anonymous } = request("1.0.2");
      const missing = await failureOf((await client.submit(anonymous)).id);
      expect(missing.build.state).toBe("failed");
      expect(await logOf(missing.build.id)).toMatch(/401|unauthorized|authentication required/i);
    },
    TIMEOUT * 2,
  );

  it(
    "builds a PVC context with a sub-path, build args, a target stage and two destinations",
    async () => {
      const dir = join(stack.realBuilds!.volumeRoot, NS, "kaniko-workspace", "multi");
      await mkdir(dir, { recursive: true });
      await writeFile(
        join(dir, "Dockerfile"),
        "FROM busybox AS base\nARG FLAVOUR\nRUN echo \"$FLAVOUR\" > /flavour\nFROM base AS release\nARG FLAVOUR\nLABEL flavour=$FLAVOUR\nFROM base AS broken\nRUN exit 9\n",
      );
      const { id } = await client.submit({
        context: { type: "volume", claimName: "kaniko-workspace", path: "multi" },
        dockerfile: { path: "Dockerfile" },
        buildArgs: { FLAVOUR: "vanilla" },
        target: "release",
        destinations: [`${ALIAS}/real/multi:2.0.0`, `${ALIAS}/real/multi:latest`],
        retries: 0,
      });
      const build = await client.waitFor(id, { timeout: TIMEOUT });
      for (const tag of ["2.0.0", "latest"]) expect(await manifestDigest(registryUrl(), "real/multi", tag)).toBe(build.digest);
      const config = (await readImageConfig(registryUrl(), "real/multi", "2.0.0")) as { config?: { Labels?: Record<string, string> } };
      expect(config.config?.Labels?.["flavour"]).toBe("vanilla");
    },
    TIMEOUT,
  );

  it(
    "streams log lines while the build is still running",
    async () => {
      const { id } = await client.submit({
        context: { type: "inline", files: {} },
        dockerfile: { inline: "FROM busybox\nRUN echo first-line-of-slow-step && sleep 4 && echo done-sleeping\n" },
        destinations: [`${ALIAS}/real/slow:1.0.0`],
        retries: 0,
      });
      let sawRunningLine = false;
      for await (const line of client.logs(id, { follow: true, signal: AbortSignal.timeout(TIMEOUT) })) {
        if (line.includes("first-line-of-slow-step")) {
          const now = await client.get(id);
          sawRunningLine = now.state === "running";
          break;
        }
      }
      expect(sawRunningLine).toBe(true);
      await client.waitFor(id, { timeout: TIMEOUT });
    },
    TIMEOUT,
  );
});
