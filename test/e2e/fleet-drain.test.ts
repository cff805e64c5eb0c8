import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BuildfleetClient } from "@buildfleet/sdk";
import { startLocalStack, type LocalStack } from "@buildfleet/dev";
import { uniquePrefix } from "@buildfleet/testkit";
import { BUILD_TIMEOUT_MS, REPO_ROOT, clusterEnv, kubeconfig, registries, rewriteRegistry } from "./e2e-env.js";

/**
 * Drain end to end: API + worker process + kubesim (or a cluster), driven by
 * the CLI as a child process. `queue drain --wait` returns only once no build
 * runs; builds submitted meanwhile wait, and `queue resume` lets them run.
 */

let stack: LocalStack;
let client: BuildfleetClient;
let stateDir: string;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "buildfleet-e2e-drain-"));
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

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", "packages/cli/src/main.ts", ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env["PATH"] ?? "", BUILDFLEET_URL: stack.url, BUILDFLEET_TOKEN: stack.token },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), BUILD_TIMEOUT_MS - 5_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const request = (tag: string) => ({
  context: { type: "inline", files: {} },
  dockerfile: { inline: "FROM busybox:latest\n" },
  destinations: [rewriteRegistry(`registry.internal:5000/mirror/busybox:${tag}`)],
});

describe("queue drain (CLI, API, worker process)", () => {
  it(
    "--wait returns only when no build runs; a build submitted during the drain waits until resume",
    async () => {
      const running = await Promise.all(["d1", "d2", "d3"].map((t) => client.submit(request(t))));
      // Wait until the worker holds all three.
      const deadline = Date.now() + BUILD_TIMEOUT_MS;
      while ((await client.queue()).counts.active < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

      const drain = await runCli(["queue", "drain", "--wait", "--timeout", "2m", "--reason", "e2e"]);

      expect(drain.stdout).toMatch(/queue drained: 0 running\n$/);
      expect(drain.code).toBe(0);
      for (const b of running) expect((await client.get(b.id)).state).toBe("succeeded");
      const status = await runCli(["queue", "status"]);
      expect(status.stdout).toMatch(/drained since \S+ \(e2e\): 0 running/);

      const late = await client.submit(request("d4"));
      expect((await client.get(late.id)).state).toBe("queued");
      expect((await runCli(["queue", "resume"])).code).toBe(0);
      expect((await client.waitFor(late.id, { timeout: BUILD_TIMEOUT_MS })).state).toBe("succeeded");
    },
    BUILD_TIMEOUT_MS * 2,
  );
});
