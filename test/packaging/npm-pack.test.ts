import { execFile } from "node:child_process";
import { lstat, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startLocalStack, type LocalStack } from "@buildfleet/dev";
import { uniquePrefix } from "@buildfleet/testkit";
import { REPO_ROOT } from "../e2e/e2e-env.js";

/**
 * The SDK and the CLI as another team gets them: `pnpm pack` of each (and of
 * every workspace package they depend on), `npm install` of the tarballs into
 * a project outside the workspace (no links; third-party dependencies from
 * the npm registry), then the installed `buildfleet` bin and a small SDK
 * script against a local stack.
 */

const run = promisify(execFile);
let dir: string;
let project: string;
let stack: LocalStack | undefined;

/** One local stack for the tests that talk to an API, started by the first that needs it. */
async function localStack(): Promise<LocalStack> {
  stack ??= await startLocalStack({ redisUrl: inject("redisUrl"), prefix: uniquePrefix(), stateDir: join(dir, "state"), writeEnvFile: false, logLevel: "silent" });
  return stack;
}

/** @buildfleet/* packages `name` needs at run time, itself included, in dependency order. */
async function workspaceClosure(name: string, seen = new Set<string>()): Promise<string[]> {
  if (seen.has(name)) return [];
  seen.add(name);
  const folder = name.replace("@buildfleet/", "");
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, "packages", folder, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  const deps = Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith("@buildfleet/"));
  const nested = (await Promise.all(deps.map((d) => workspaceClosure(d, seen)))).flat();
  return [...nested, folder];
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "buildfleet-pack-"));
  project = join(dir, "consumer");
  // dist/ is what ships; `pnpm test` builds it first, this makes the file runnable alone (incremental).
  await run("pnpm", ["exec", "tsc", "-b", "packages/cli"], { cwd: REPO_ROOT, timeout: 180_000 });
  const folders = [...new Set([...(await workspaceClosure("@buildfleet/cli")), ...(await workspaceClosure("@buildfleet/sdk"))])];
  const tarballs: string[] = [];
  for (const folder of folders) {
    const { stdout } = await run("pnpm", ["pack", "--pack-destination", dir], { cwd: join(REPO_ROOT, "packages", folder), timeout: 60_000 });
    const tarball = stdout.trim().split("\n").at(-1) ?? "";
    expect(tarball).toMatch(/\.tgz$/);
    tarballs.push(tarball);
  }
  await run("mkdir", ["-p", project]);
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  await run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs], { cwd: project, timeout: 240_000 });
}, 400_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("installable packages (npm pack → npm install)", () => {
  it("installs real copies, not workspace links, with types", async () => {
    for (const name of ["sdk", "cli"]) {
      const installed = join(project, "node_modules", "@buildfleet", name);
      expect((await lstat(installed)).isSymbolicLink()).toBe(false);
      const pkg = JSON.parse(await readFile(join(installed, "package.json"), "utf8")) as { private?: boolean; types?: string };
      expect(pkg.private).toBeUndefined();
      expect((await lstat(join(installed, pkg.types ?? "missing"))).isFile()).toBe(true);
    }
  });

  it("runs the installed buildfleet bin", async () => {
    const version = (JSON.parse(await readFile(join(REPO_ROOT, "packages/cli/package.json"), "utf8")) as { version: string }).version;
    const { stdout } = await run(join(project, "node_modules/.bin/buildfleet"), ["--version"], { cwd: project, timeout: 30_000 });
    expect(stdout).toBe(`${version}\n`);
  });

  it(
    "runs a small SDK script against a local stack",
    async () => {
      const stack = await localStack();
      const script = `
import { BuildfleetClient } from "@buildfleet/sdk";
const client = new BuildfleetClient({ baseUrl: process.env.BUILDFLEET_URL, token: process.env.BUILDFLEET_TOKEN });
const { id } = await client.submit({
  context: { type: "inline", files: {} },
  dockerfile: { inline: "FROM busybox:latest" },
  destinations: ["registry.internal:5000/mirror/busybox:1.36"],
});
const build = await client.waitFor(id, { timeout: 60000 });
console.log(build.state, build.digest);
`;
      await writeFile(join(project, "script.mjs"), script);
      const { stdout } = await run(process.execPath, ["script.mjs"], {
        cwd: project,
        env: { PATH: process.env["PATH"] ?? "", BUILDFLEET_URL: stack.url, BUILDFLEET_TOKEN: stack.token },
        timeout: 90_000,
      });
      expect(stdout).toMatch(/^succeeded sha256:[0-9a-f]{64}\n$/);
    },
    120_000,
  );

  it(
    "works from CommonJS: require('@buildfleet/sdk') in a .cjs script, errors included",
    async () => {
      // The SDK ships ESM only: on every Node the package supports (engines: ^20.19 || >=22.12)
      // require() loads ES modules without a flag, so there is no second (CJS) copy whose
      // classes would fail `instanceof` against the first. This fails if that ever breaks
      // (top-level await in the SDK's module graph, an exports map without a require path).
      const stack = await localStack();
      const script = `
const { BuildfleetClient, ApiError } = require("@buildfleet/sdk");
const client = new BuildfleetClient({ baseUrl: process.env.BUILDFLEET_URL, token: process.env.BUILDFLEET_TOKEN });
(async () => {
  const listed = await client.list({ limit: 1 });
  try {
    await client.get("nosuchbuild00");
  } catch (err) {
    console.log(Array.isArray(listed.items), err instanceof ApiError, err.status, err.code);
  }
})().catch((err) => { console.error(err); process.exitCode = 1; });
`;
      await writeFile(join(project, "script.cjs"), script);
      const { stdout } = await run(process.execPath, ["script.cjs"], {
        cwd: project,
        env: { PATH: process.env["PATH"] ?? "", BUILDFLEET_URL: stack.url, BUILDFLEET_TOKEN: stack.token },
        timeout: 60_000,
      });
      expect(stdout).toBe("true true 404 NOT_FOUND\n");
    },
    120_000,
  );
});
