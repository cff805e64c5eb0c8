import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BUILD_TIMEOUT_MS, REPO_ROOT, rewriteRegistry, useE2eStack } from "./e2e-env.js";

/**
 * Drain end to end: API + worker process + kubesim (or a cluster), driven by
 * the CLI as a child process. `queue drain --wait` returns only once no build
 * runs; builds submitted meanwhile wait, and `queue resume` lets them run.
 */

const e2e = useE2eStack("drain");

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", "packages/cli/src/main.ts", ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env["PATH"] ?? "", BUILDFLEET_URL: e2e.stack.url, BUILDFLEET_TOKEN: e2e.stack.token },
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
      const running = await Promise.all(["d1", "d2", "d3"].map((t) => e2e.client.submit(request(t))));
      // Wait until the worker holds all three.
      const deadline = Date.now() + BUILD_TIMEOUT_MS;
      while ((await e2e.client.queue()).counts.active < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

      const drain = await runCli(["queue", "drain", "--wait", "--timeout", "2m", "--reason", "e2e"]);

      expect(drain.stdout).toMatch(/queue drained: 0 running\n$/);
      expect(drain.code).toBe(0);
      for (const b of running) expect((await e2e.client.get(b.id)).state).toBe("succeeded");
      const status = await runCli(["queue", "status"]);
      expect(status.stdout).toMatch(/drained since \S+ \(e2e\): 0 running/);

      const late = await e2e.client.submit(request("d4"));
      expect((await e2e.client.get(late.id)).state).toBe("queued");
      expect((await runCli(["queue", "resume"])).code).toBe(0);
      expect((await e2e.client.waitFor(late.id, { timeout: BUILD_TIMEOUT_MS })).state).toBe("succeeded");
    },
    BUILD_TIMEOUT_MS * 2,
  );
});
