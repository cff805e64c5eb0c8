/**
 * createJob cost of the worker's Kubernetes adapter against client-node's generated API,
 * on a kubesim in a child process (so its CPU is not ours). Prints figures; asserts nothing.
 *
 *   pnpm --filter @buildfleet/worker exec node --import tsx --conditions=source scripts/k8s-client-bench.ts
 *   K8S_BENCH_JOBS=1000 K8S_BENCH_CONCURRENCY=50 K8S_BENCH_ROUNDS=3 …
 *
 * Each round creates K8S_BENCH_JOBS Jobs, K8S_BENCH_CONCURRENCY at a time, once through
 * `createK8sApi(...).createJob` and once through `BatchV1Api.createNamespacedJob` (the path
 * the adapter used before: typed ObjectSerializer, a new agent per call); the two alternate
 * so drift hits both. Figures: wall time, this process's CPU time, TCP connections opened.
 */
import { spawn } from "node:child_process";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BatchV1Api, KubeConfig, Observable, type ObservableMiddleware, type V1Job } from "@kubernetes/client-node";
import { createK8sApi } from "../src/k8s/client.js";
import { renderBuildJob } from "../src/kaniko/render-job.js";

const JOBS = Number(process.env["K8S_BENCH_JOBS"] ?? 1000);
const CONCURRENCY = Number(process.env["K8S_BENCH_CONCURRENCY"] ?? 50);
const ROUNDS = Number(process.env["K8S_BENCH_ROUNDS"] ?? 5);
const NAMESPACE = "buildfleet";
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

interface Figures {
  wallMs: number;
  cpuMs: number;
  connections: number;
}

async function startChildKubeSim(): Promise<{ kubeConfig: KubeConfig; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "bf-k8s-bench-"));
  const kubeconfig = join(dir, "kubeconfig");
  // Jobs hang in Running: the bench measures the client, not pods coming and going in kubesim.
  const scenario = JSON.stringify([{ match: {}, attempts: [{ hang: {} }] }]);
  await writeFile(join(dir, "scenario.json"), scenario);
  const args = ["--import", "tsx", "--conditions=source", join(ROOT, "packages/kubesim/src/cli.ts"), "serve", "--port", "0"];
  args.push("--kubeconfig-out", kubeconfig, "--scenario", join(dir, "scenario.json"), "--history-size", "100000");
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`kubesim did not start: ${out}`)), 30_000);
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (/listening on http:\/\//.test(out) && out.includes(kubeconfig)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.stdout.resume();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfig);
  return {
    kubeConfig,
    close: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let seq = 0;
function jobs(n: number): V1Job[] {
  return Array.from({ length: n }, () => {
    const buildId = `01jd3k8q9v7x2m4n6p${String(seq++).padStart(8, "0")}`;
    return renderBuildJob(
      {
        buildId,
        tenant: "bench",
        request: {
          context: { type: "tarball", url: "s3://bench/app.tar.gz" },
          destinations: [`registry.internal:5000/bench/app:${buildId}`],
        },
      },
      { namespace: NAMESPACE, executorImage: `ghcr.io/osscontainertools/kaniko@sha256:${"2".repeat(64)}`, ttlSecondsAfterFinished: 3600, defaultResources: {} },
    ).job;
  });
}

async function measure(create: (job: V1Job) => Promise<unknown>): Promise<Figures> {
  const batch = jobs(JOBS);
  let connections = 0;
  const onSocket = (): void => {
    connections++;
  };
  subscribe("net.client.socket", onSocket);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < batch.length) {
        const job = batch[next++];
        if (job) await create(job);
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  unsubscribe("net.client.socket", onSocket);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, connections };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

function row(name: string, runs: Figures[]): string {
  const wall = median(runs.map((r) => r.wallMs));
  const cpu = median(runs.map((r) => r.cpuMs));
  const conns = median(runs.map((r) => r.connections));
  return `${name.padEnd(28)} wall ${wall.toFixed(0).padStart(6)} ms   cpu ${cpu.toFixed(0).padStart(6)} ms   ${(cpu / JOBS).toFixed(3)} ms/create   connections ${conns}`;
}

async function main(): Promise<void> {
  const sim = await startChildKubeSim();
  // The adapter's previous path: client-node's generated API with an abort deadline per call.
  const deadline: ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setSignal(AbortSignal.timeout(30_000));
      return new Observable(Promise.resolve(ctx));
    },
    post: (res) => new Observable(Promise.resolve(res)),
  };
  const generated = sim.kubeConfig.makeApiClient(BatchV1Api);
  // A new K8sApi per round, so its figures include opening its connections.
  const arms: Record<string, () => { create: (job: V1Job) => Promise<unknown>; close?: () => void }> = {
    "client-node BatchV1Api": () => ({
      create: (job) => generated.createNamespacedJob({ namespace: NAMESPACE, body: job }, { middleware: [deadline], middlewareMergeStrategy: "append" }),
    }),
    "createK8sApi().createJob": () => {
      const api = createK8sApi(sim.kubeConfig, { namespace: NAMESPACE, requestTimeoutMs: 30_000 });
      return { create: (job) => api.createJob(job), close: () => api.close?.() };
    },
  };
  const run = async (arm: (typeof arms)[string]): Promise<Figures> => {
    const { create, close } = arm();
    try {
      return await measure(create);
    } finally {
      close?.();
    }
  };
  const results: Record<string, Figures[]> = Object.fromEntries(Object.keys(arms).map((k) => [k, []]));
  try {
    // One warm-up round each (JIT, kubesim's store), not counted.
    for (const arm of Object.values(arms)) await run(arm);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, arm] of Object.entries(arms)) results[name]?.push(await run(arm));
    }
  } finally {
    await sim.close();
  }
  console.log(`${JOBS} createJob calls, ${CONCURRENCY} at a time, median of ${ROUNDS} rounds (node ${process.version})`);
  for (const [name, runs] of Object.entries(results)) console.log(row(name, runs));
  const base = results["client-node BatchV1Api"] ?? [];
  const ours = results["createK8sApi().createJob"] ?? [];
  const ratio = (f: (r: Figures) => number): string => (median(ours.map(f)) / median(base.map(f))).toFixed(2);
  console.log(`ratio createK8sApi / client-node: wall ${ratio((r) => r.wallMs)}, cpu ${ratio((r) => r.cpuMs)}`);
}

await main();
