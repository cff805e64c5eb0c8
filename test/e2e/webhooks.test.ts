import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BuildfleetClient } from "@buildfleet/sdk";
import { startLocalStack, type LocalStack } from "@buildfleet/dev";
import { startWebhookReceiver, uniquePrefix, type WebhookReceiver } from "@buildfleet/testkit";
import { BUILD_TIMEOUT_MS, REPO_ROOT, clusterEnv, kubeconfig, registries, rewriteRegistry } from "./e2e-env.js";

/**
 * Webhooks as a user meets them: `pnpm dev`'s stack (which allows receivers on
 * loopback), the CLI registering a webhook and reading its deliveries, the SDK
 * submitting a build, and a receiver that verifies every signature.
 */

let stack: LocalStack;
let client: BuildfleetClient;
let stateDir: string;
let rx: WebhookReceiver;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "buildfleet-e2e-hooks-"));
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
  rx = await startWebhookReceiver({ secret: `whsec_${Buffer.alloc(32).toString("base64")}` });
}, 90_000);

afterAll(async () => {
  await rx?.close();
  await stack?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

describe("webhooks end to end", () => {
  it(
    "registers with the CLI, delivers a build's terminal event signed, and lists and redelivers it",
    async () => {
      const applied = await runCli(["webhooks", "apply", "deploy", "--url", rx.url, "--event", "build.succeeded,build.failed", "-o", "json"]);
      expect(applied.stderr).toBe("");
      expect(applied.code).toBe(0);
      const { secret } = JSON.parse(applied.stdout) as { secret: string };
      rx.setSecret(secret);
      const ls = await runCli(["webhooks", "ls"]);
      expect(ls.stdout).toMatch(/^NAME\s+URL\s+EVENTS\s+MODE\s+AGE\ndeploy\s+http:\/\/127\.0\.0\.1/);

      const { id } = await client.submit({
        context: { type: "inline", files: {} },
        dockerfile: { inline: "FROM busybox:latest\n" },
        destinations: [rewriteRegistry("registry.internal:5000/mirror/busybox:1.37")],
      });
      await client.waitFor(id, { timeout: BUILD_TIMEOUT_MS });
      await rx.waitFor(1, 30_000);
      expect(rx.accepted().map((r) => [r.event?.type, r.event?.subject])).toEqual([["build.succeeded", id]]);

      const deliveries = await client.webhooks.deliveries("deploy");
      expect(deliveries).toMatchObject([{ buildId: id, eventType: "build.succeeded", attempts: 1 }]);
      const listed = await runCli(["webhooks", "deliveries", "deploy"]);
      expect(listed.stdout).toContain(deliveries[0]?.id ?? "?");

      const again = await runCli(["webhooks", "redeliver", deliveries[0]?.id ?? "?"]);
      expect(again.code).toBe(0);
      await rx.waitFor(2, 30_000);
      expect(rx.accepted().map((r) => r.webhookId)).toEqual([deliveries[0]?.id, deliveries[0]?.id]);

      expect((await runCli(["webhooks", "delete", "deploy"])).stdout).toBe("webhook/deploy deleted\n");
      expect(await client.webhooks.list()).toEqual([]);
    },
    BUILD_TIMEOUT_MS + 60_000,
  );
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
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
