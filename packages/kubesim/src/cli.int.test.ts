// The CLI as a user runs it: prints the chosen port and kubeconfig path, the
// kubeconfig works with client-node, SIGTERM exits cleanly.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "./test-support/wait.js";

const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));
let dir: string | undefined;

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("kubesim serve", () => {
  it("serves on a free port, writes a usable kubeconfig and exits 0 on SIGTERM", async () => {
    dir = await mkdtemp(join(tmpdir(), "kubesim-cli-"));
    const kubeconfig = join(dir, "kubeconfig");
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", cli, "serve", "--port", "0", "--kubeconfig-out", kubeconfig, "--speed", "10"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await waitFor(() => out.includes("kubeconfig written"), "CLI start-up", 30_000);
      expect(out).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ \(port \d+\)/);
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      const namespaces = await kc.makeApiClient(CoreV1Api).listNamespace();
      expect(namespaces.items.map((n) => n.metadata?.name)).toEqual(["buildfleet", "default", "kube-system"]);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });
});
