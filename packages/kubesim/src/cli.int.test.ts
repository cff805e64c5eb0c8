// The CLI as a user runs it: prints the chosen port and kubeconfig path, the
// kubeconfig works with client-node, SIGTERM exits cleanly.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BatchV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "./test-support/wait.js";

const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));
let dir: string | undefined;

interface Running {
  output: () => string;
  exited: Promise<number | null>;
  kill: () => void;
}

function runCli(args: string[]): Running {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  return {
    output: () => out,
    exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))),
    kill: () => child.kill("SIGTERM"),
  };
}

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("kubesim serve", () => {
  it("serves on a free port, writes a usable kubeconfig and exits 0 on SIGTERM", async () => {
    dir = await mkdtemp(join(tmpdir(), "kubesim-cli-"));
    const kubeconfig = join(dir, "kubeconfig");
    const run = runCli(["serve", "--port", "0", "--kubeconfig-out", kubeconfig, "--speed", "10"]);
    try {
      await waitFor(() => run.output().includes("kubeconfig written"), "CLI start-up", 30_000);
      expect(run.output()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ \(port \d+\)/);
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      const namespaces = await kc.makeApiClient(CoreV1Api).listNamespace();
      expect(namespaces.items.map((n) => n.metadata?.name)).toEqual(["buildfleet", "default", "kube-system"]);
    } finally {
      run.kill();
    }
    expect(await run.exited).toBe(0);
  });

  it("loads a YAML scenario file given with --scenario", async () => {
    dir = await mkdtemp(join(tmpdir(), "kubesim-cli-"));
    const scenario = join(dir, "scenario.yaml");
    await writeFile(scenario, "rules:\n  - name: oom\n    match: { jobName: build-image }\n    attempts:\n      - oomKilled: {}\n");
    const run = runCli(["serve", "--port", "0", "--scenario", scenario]);
    try {
      await waitFor(() => /listening on (\S+) /.exec(run.output()), "CLI start-up", 30_000);
      const url = /listening on (\S+) /.exec(run.output())?.[1] ?? "";
      const rules = (await (await fetch(`${url}/kubesim/v1/scenario`)).json());
      expect(JSON.stringify(rules)).toContain('"oom"');
    } finally {
      run.kill();
    }
    expect(await run.exited).toBe(0);
  });

  it("takes the kubelet's timings from --start-delay-ms and --default-run-ms", async () => {
    dir = await mkdtemp(join(tmpdir(), "kubesim-cli-"));
    const slow = join(dir, "slow");
    const fast = join(dir, "fast");
    const slowRun = runCli(["serve", "--port", "0", "--kubeconfig-out", slow, "--start-delay-ms", "3600000"]);
    const fastRun = runCli(["serve", "--port", "0", "--kubeconfig-out", fast, "--start-delay-ms", "10", "--default-run-ms", "50"]);
    const job = (name: string) => ({
      metadata: { name },
      spec: { backoffLimit: 0, template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox:latest" }] } } },
    });
    try {
      await waitFor(() => slowRun.output().includes("kubeconfig written") && fastRun.output().includes("kubeconfig written"), "CLI start-up", 30_000);
      const clients = [slow, fast].map((file) => {
        const kc = new KubeConfig();
        kc.loadFromFile(file);
        return { batch: kc.makeApiClient(BatchV1Api), core: kc.makeApiClient(CoreV1Api) };
      });
      const [s, f] = clients as [(typeof clients)[0], (typeof clients)[0]];
      await s.batch.createNamespacedJob({ namespace: "default", body: job("held") });
      await f.batch.createNamespacedJob({ namespace: "default", body: job("quick") });
      // Defaults (1 s start, 5 s run) would not finish within 4 s; 10 ms + 50 ms do.
      await waitFor(
        async () => (await f.batch.readNamespacedJob({ name: "quick", namespace: "default" })).status?.succeeded === 1,
        "quick Job complete",
        4_000,
      );
      const held = await s.core.listNamespacedPod({ namespace: "default", labelSelector: "job-name=held" });
      expect(held.items.map((p) => p.status?.phase)).toEqual(["Pending"]);
    } finally {
      slowRun.kill();
      fastRun.kill();
    }
    expect(await slowRun.exited).toBe(0);
    expect(await fastRun.exited).toBe(0);
  });

  it("exits non-zero with a message for an invalid scenario file", async () => {
    dir = await mkdtemp(join(tmpdir(), "kubesim-cli-"));
    const scenario = join(dir, "bad.yaml");
    await writeFile(scenario, "rules:\n  - attempts: []\n");
    const run = runCli(["serve", "--port", "0", "--scenario", scenario]);
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain("kubesim:");
  });

  it("refuses --executor=buildah without a registry, naming --registry and REGISTRY_URL", async () => {
    const env = { ...process.env };
    delete env["REGISTRY_URL"];
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", cli, "serve", "--port", "0", "--executor", "buildah"], { stdio: ["ignore", "pipe", "pipe"], env });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(1);
    expect(out).toContain("--registry");
    expect(out).toContain("REGISTRY_URL");
  });

  it("serves with --executor=buildah and says where builds push", async () => {
    const run = runCli(["serve", "--port", "0", "--executor", "buildah", "--registry", "http://127.0.0.1:5999", "--max-parallel-builds", "3"]);
    try {
      await waitFor(() => run.output().includes("real builds with buildah"), "the real-build line", 20_000);
      expect(run.output()).toMatch(/registry 127\.0\.0\.1:5999|registry http:\/\/127\.0\.0\.1:5999/);
      expect(run.output()).toContain("at most 3 at once");
    } finally {
      run.kill();
      await run.exited;
    }
  });
});
