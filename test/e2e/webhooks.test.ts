import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebhookReceiver, type WebhookReceiver } from "@buildfleet/testkit";
import { BUILD_TIMEOUT_MS, REPO_ROOT, rewriteRegistry, useE2eStack } from "./e2e-env.js";

/**
 * Webhooks as a user meets them: `pnpm dev`'s stack (which allows receivers on
 * loopback), the CLI registering a webhook and reading its deliveries, the SDK
 * submitting a build, and a receiver that verifies every signature.
 */

const e2e = useE2eStack("hooks");

let rx: WebhookReceiver;

beforeAll(async () => {
  rx = await startWebhookReceiver({ secret: `whsec_${Buffer.alloc(32).toString("base64")}` });
});

afterAll(async () => {
  await rx?.close();
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

      const { id } = await e2e.client.submit({
        context: { type: "inline", files: {} },
        dockerfile: { inline: "FROM busybox:latest\n" },
        destinations: [rewriteRegistry("registry.internal:5000/mirror/busybox:1.37")],
      });
      await e2e.client.waitFor(id, { timeout: BUILD_TIMEOUT_MS });
      await rx.waitFor(1, 30_000);
      expect(rx.accepted().map((r) => [r.event?.type, r.event?.subject])).toEqual([["build.succeeded", id]]);

      const deliveries = await e2e.client.webhooks.deliveries("deploy");
      expect(deliveries).toMatchObject([{ buildId: id, eventType: "build.succeeded", attempts: 1 }]);
      const listed = await runCli(["webhooks", "deliveries", "deploy"]);
      expect(listed.stdout).toContain(deliveries[0]?.id ?? "?");

      const again = await runCli(["webhooks", "redeliver", deliveries[0]?.id ?? "?"]);
      expect(again.code).toBe(0);
      await rx.waitFor(2, 30_000);
      expect(rx.accepted().map((r) => r.webhookId)).toEqual([deliveries[0]?.id, deliveries[0]?.id]);

      expect((await runCli(["webhooks", "delete", "deploy"])).stdout).toBe("webhook/deploy deleted\n");
      expect(await e2e.client.webhooks.list()).toEqual([]);
    },
    BUILD_TIMEOUT_MS + 60_000,
  );
});

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
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
