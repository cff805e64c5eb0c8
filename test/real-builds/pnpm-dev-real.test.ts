import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { manifestDigest, realBuildsSkipReason, uniquePrefix } from "@buildfleet/testkit";
import { REPO_ROOT } from "../e2e/e2e-env.js";

/** `pnpm dev` with buildah and docker-registry present builds for real and says where the registry is. */
const skip = realBuildsSkipReason();
if (skip !== undefined) console.warn(`[pnpm dev real builds] skipped: ${skip}`);

let dev: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  if (dev && dev.exitCode === null && dev.signalCode === null) {
    dev.kill("SIGKILL");
    await new Promise((r) => dev?.once("exit", r));
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

function tsx(script: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "--conditions=source", script, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function finish(child: ChildProcess, limitMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(skip !== undefined)("pnpm dev with real builds", () => {
  it("writes REGISTRY_URL to dev.env; the busybox mirror's digest is the registry's Docker-Content-Digest", async () => {
    dir = await mkdtemp(join(tmpdir(), "buildfleet-dev-real-"));
    const stateDir = join(dir, ".buildfleet");
    dev = tsx("packages/dev/src/main.ts", [], {
      REDIS_URL: inject("redisUrl"),
      BUILDFLEET_PREFIX: uniquePrefix(),
      DEV_STATE_DIR: stateDir,
      LOG_LEVEL: "warn",
    });
    const exited = finish(dev, 80_000);
    let out = "";
    await new Promise<void>((resolve, reject) => {
      dev!.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        if (out.includes("Ctrl-C stops everything")) resolve();
      });
      void exited.then((r) => reject(new Error(`pnpm dev exited early (${r.code}): ${r.stderr}`)));
    });
    expect(out).toMatch(/builds\s+real \(buildah\)/);
    const envText = await readFile(join(stateDir, "dev.env"), "utf8");
    const registryUrl = /^REGISTRY_URL='(http:\/\/127\.0\.0\.1:\d+)'$/m.exec(envText)?.[1];
    expect(registryUrl).toBeDefined();

    const cli = await finish(
      tsx("packages/cli/src/main.ts", ["submit", "-f", join(REPO_ROOT, "examples/busybox-mirror.yaml"), "--wait", "--no-logs"], { INIT_CWD: dir }),
      60_000,
    );
    expect(cli.code, cli.stderr).toBe(0);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(cli.stdout)?.[1];
    expect(digest).toBeDefined();
    for (const tag of ["1.37", "latest"]) expect(await manifestDigest(registryUrl ?? "", "mirror/busybox", tag)).toBe(digest);

    dev.kill("SIGINT");
    const result = await exited;
    expect(result.code).toBe(0);
  });
});
