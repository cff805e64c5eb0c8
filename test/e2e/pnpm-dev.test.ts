import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { startRedis, uniquePrefix } from "@buildfleet/testkit";
import { REPO_ROOT, realCluster } from "./e2e-env.js";

/**
 * `pnpm dev` as a user runs it: a child process that prints the URL and a
 * token and writes dev.env; the CLI, started from that directory with no
 * BUILDFLEET_* variables, finds the stack through dev.env; Ctrl-C stops all.
 */

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

/** Collects output and resolves on exit; kills the child after `limitMs`. */
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

describe.skipIf(realCluster)("pnpm dev (kubesim; skipped with E2E_KUBECONFIG)", () => {
  it("starts the stack, serves the CLI through dev.env, and stops cleanly on SIGINT", async () => {
    dir = await mkdtemp(join(tmpdir(), "buildfleet-dev-"));
    const stateDir = join(dir, ".buildfleet");
    dev = tsx("packages/dev/src/main.ts", [], {
      REDIS_URL: inject("redisUrl"),
      BUILDFLEET_PREFIX: uniquePrefix(),
      DEV_STATE_DIR: stateDir,
      LOG_LEVEL: "warn",
    });
    const exited = finish(dev, 50_000);
    let out = "";
    await new Promise<void>((resolve, reject) => {
      dev!.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        if (out.includes("Ctrl-C stops everything")) resolve();
      });
      void exited.then((r) => reject(new Error(`pnpm dev exited early (${r.code}): ${r.stderr}`)));
    });
    expect(out).toMatch(/API\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toMatch(/token\s+bfdev_\S+/);
    const envText = await readFile(join(stateDir, "dev.env"), "utf8");
    expect(envText).toMatch(/^BUILDFLEET_URL='http:\/\/127\.0\.0\.1:\d+'$/m);
    expect(envText).toContain(`KUBECONFIG='${join(stateDir, "kubesim.kubeconfig")}'`);
    const metricsUrl = /^WORKER_METRICS_URL='(http:\/\/127\.0\.0\.1:\d+\/metrics)'$/m.exec(envText)?.[1];
    expect(metricsUrl).toBeDefined();
    expect(out).toContain(`metrics    ${metricsUrl ?? ""}`);
    // The dashboard's address, printed and in dev.env; its session route answers there.
    expect(out).toMatch(/dashboard\s+http:\/\/127\.0\.0\.1:\d+\/ui\//);
    const uiUrl = /^BUILDFLEET_UI_URL='(http:\/\/127\.0\.0\.1:\d+\/ui\/)'$/m.exec(envText)?.[1];
    expect(uiUrl).toBeDefined();
    expect((await fetch(new URL("session", uiUrl))).status).toBe(401);

    // The CLI from the user's directory: no BUILDFLEET_* variables, only dev.env.
    const cli = await finish(
      tsx("packages/cli/src/main.ts", ["submit", "-f", join(REPO_ROOT, "examples/busybox-mirror.yaml"), "--wait", "--no-logs"], { INIT_CWD: dir }),
      40_000,
    );
    expect(cli.stderr).toMatch(/succeeded/);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/digest: sha256:[0-9a-f]{64}/);
    // The worker's metrics URL from dev.env counts the build just done.
    const metrics = await (await fetch(metricsUrl ?? "", { signal: AbortSignal.timeout(10_000) })).text();
    expect(metrics).toMatch(/^buildfleet_worker_builds_finished_total\{[^}]*outcome="succeeded"[^}]*\} 1$/m);

    dev.kill("SIGINT");
    const result = await exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("stopped");
    expect(existsSync(join(stateDir, "dev.env"))).toBe(false);
  });

  it("says once that its Redis died and stops cleanly, instead of flooding the log", async () => {
    dir = await mkdtemp(join(tmpdir(), "buildfleet-dev-"));
    const redis = await startRedis();
    try {
      dev = tsx("packages/dev/src/main.ts", [], {
        REDIS_URL: redis.url,
        DEV_STATE_DIR: join(dir, ".buildfleet"),
        LOG_LEVEL: "warn",
      });
      const exited = finish(dev, 50_000);
      let out = "";
      await new Promise<void>((resolve, reject) => {
        dev!.stdout!.on("data", (c: Buffer) => {
          out += c.toString();
          if (out.includes("Ctrl-C stops everything")) resolve();
        });
        void exited.then((r) => reject(new Error(`pnpm dev exited early (${r.code}): ${r.stderr}`)));
      });
      await redis.stop();
      const result = await exited;
      expect(result.code).toBe(1);
      const said = `${result.stdout}${result.stderr}`;
      expect(said.match(/pnpm dev: Redis at redis:\/\/127\.0\.0\.1:\d+ stopped answering/g)).toHaveLength(1);
      expect(said).not.toContain("Unhandled error event");
      expect(result.stderr).toContain("stopped");
    } finally {
      await redis.stop();
    }
  });
});
