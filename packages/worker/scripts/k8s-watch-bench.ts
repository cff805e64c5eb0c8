/**
 * CPU cost of one Job watch in this process: client-node's Watch (what the adapter used
 * before: node-fetch, a PassThrough and readline per stream) against `createK8sApi().watchJobs`
 * (our REST stream and line splitter). Prints figures; asserts nothing.
 *
 *   pnpm --filter @buildfleet/worker exec node --import tsx --conditions=source scripts/k8s-watch-bench.ts
 *   K8S_WATCH_BENCH_JOBS=1000 K8S_WATCH_BENCH_ROUNDS=5 K8S_WATCH_BENCH_SPEED=50 …
 *
 * kubesim runs in a child process, and the Jobs are created by a second child, so this
 * process's CPU time is the watch's alone (plus an idle event loop). Each round opens one
 * watch on Jobs carrying that round's label, has the child create K8S_WATCH_BENCH_JOBS
 * Jobs, 50 at a time, and ends when the watch has seen every one of them complete (about
 * nine events per Job); the two arms alternate so drift hits both. Both arms do the same
 * per-event work as the adapter's callers: dispatch on the type, look at the conditions.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KubeConfig, Watch, type V1Job } from "@kubernetes/client-node";
import { createK8sApi, type WatchCallbacks } from "../src/k8s/client.js";
import { renderBuildJob } from "../src/kaniko/render-job.js";

const JOBS = Number(process.env["K8S_WATCH_BENCH_JOBS"] ?? 1000);
const ROUNDS = Number(process.env["K8S_WATCH_BENCH_ROUNDS"] ?? 5);
const SPEED = Number(process.env["K8S_WATCH_BENCH_SPEED"] ?? 50);
const CONCURRENCY = 50;
const NAMESPACE = "buildfleet";
const ROUND_LABEL = "bench.buildfleet.dev/round";
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SELF = fileURLToPath(import.meta.url);

interface Figures {
  wallMs: number;
  cpuMs: number;
  events: number;
}

/** One watch arm: opens a Job watch on `labelSelector` from `resourceVersion`; returns its abort. */
type Arm = (kc: KubeConfig, labelSelector: string, resourceVersion: string, cb: WatchCallbacks<V1Job>) => Promise<() => void>;

const arms: Record<string, Arm> = {
  // The adapter's previous watchPath, minus its deadline: client-node's Watch with the same dispatch.
  "client-node Watch": async (kc, labelSelector, resourceVersion, cb) => {
    const path = `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`;
    const controller = await new Watch(kc).watch(
      path,
      { labelSelector, resourceVersion, allowWatchBookmarks: true },
      (type: string, object: unknown) => {
        switch (type) {
          case "ADDED":
          case "MODIFIED":
          case "DELETED":
            return cb.onEvent(type, object as V1Job);
          case "BOOKMARK": {
            const rv = (object as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
            if (rv !== undefined) cb.onBookmark(rv);
            return;
          }
          default:
            return;
        }
      },
      () => undefined,
    );
    return () => controller.abort();
  },
  "createK8sApi().watchJobs": async (kc, labelSelector, resourceVersion, cb) => {
    const api = createK8sApi(kc, { namespace: NAMESPACE, requestTimeoutMs: 30_000 });
    const handle = await api.watchJobs({ labelSelector, resourceVersion }, cb);
    return () => {
      handle.abort();
      api.close?.();
    };
  },
};

function spawnTsx(args: string[], opts: { env?: NodeJS.ProcessEnv; ipc?: boolean }): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "--conditions=source", ...args], {
    cwd: ROOT,
    env: opts.env ?? process.env,
    stdio: opts.ipc ? ["ignore", "inherit", "inherit", "ipc"] : ["ignore", "pipe", "inherit"],
  });
}

async function startChildKubeSim(dir: string): Promise<{ kubeconfig: string; child: ChildProcess }> {
  const kubeconfig = join(dir, "kubeconfig");
  const args = [join(ROOT, "packages/kubesim/src/cli.ts"), "serve", "--port", "0", "--kubeconfig-out", kubeconfig, "--speed", String(SPEED)];
  const child = spawnTsx([...args, "--history-size", "100000"], {});
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`kubesim did not start: ${out}`)), 30_000);
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      if (/listening on http:\/\//.test(out) && out.includes(kubeconfig)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.stdout?.resume();
  return { kubeconfig, child };
}

let seq = 0;
function job(round: string): V1Job {
  const buildId = `01jd3k8q9v7x2m4n6p${String(seq++).padStart(8, "0")}`;
  const rendered = renderBuildJob(
    {
      buildId,
      tenant: "bench",
      request: { context: { type: "tarball", url: "s3://bench/app.tar.gz" }, destinations: [`registry.internal:5000/bench/app:${buildId}`] },
    },
    { namespace: NAMESPACE, executorImage: `ghcr.io/osscontainertools/kaniko@sha256:${"2".repeat(64)}`, ttlSecondsAfterFinished: 3600, defaultResources: {} },
  ).job;
  rendered.metadata = { ...rendered.metadata, labels: { ...rendered.metadata?.labels, [ROUND_LABEL]: round } };
  return rendered;
}

/** The creator child: creates the Jobs of each round it is sent, answers when done. */
async function creator(): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(process.env["K8S_WATCH_BENCH_KUBECONFIG"] ?? "");
  const api = createK8sApi(kc, { namespace: NAMESPACE, requestTimeoutMs: 30_000 });
  process.on("message", (msg: { round: string; jobs: number }) => {
    void (async () => {
      const batch = Array.from({ length: msg.jobs }, () => job(msg.round));
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < batch.length) {
            const j = batch[next++];
            if (j) await api.createJob(j);
          }
        }),
      );
      process.send?.({ done: msg.round });
    })();
  });
  process.send?.({ ready: true });
  process.on("disconnect", () => {
    api.close?.();
    process.exit(0);
  });
}

const terminal = (j: V1Job): boolean => (j.status?.conditions ?? []).some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");

async function measure(arm: Arm, kc: KubeConfig, creatorChild: ChildProcess, round: string): Promise<Figures> {
  const api = createK8sApi(kc, { namespace: NAMESPACE, requestTimeoutMs: 30_000 });
  const { resourceVersion } = await api.listJobs(`${ROUND_LABEL}=${round}`);
  api.close?.();
  const done = new Set<string>();
  let events = 0;
  let finished: () => void = () => undefined;
  const allDone = new Promise<void>((r) => (finished = r));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const abort = await arm(kc, `${ROUND_LABEL}=${round}`, resourceVersion, {
    onEvent: (_type, j) => {
      events++;
      if (terminal(j)) done.add(j.metadata?.name ?? "");
      if (done.size === JOBS) finished();
    },
    onBookmark: () => undefined,
    onEnd: () => undefined,
  });
  creatorChild.send({ round, jobs: JOBS });
  const timeout = setTimeout(() => finished(), 300_000);
  await allDone;
  clearTimeout(timeout);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  abort();
  if (done.size !== JOBS) throw new Error(`round ${round}: only ${done.size}/${JOBS} Jobs seen complete`);
  // The creator's answer may come after the last event; wait for it so rounds do not overlap.
  while (true) {
    const [msg] = (await once(creatorChild, "message")) as [{ done?: string }];
    if (msg.done === round) break;
  }
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, events };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "bf-k8s-watch-bench-"));
  const sim = await startChildKubeSim(dir);
  const creatorChild = spawnTsx([SELF], { env: { ...process.env, K8S_WATCH_BENCH_ROLE: "creator", K8S_WATCH_BENCH_KUBECONFIG: sim.kubeconfig }, ipc: true });
  await once(creatorChild, "message");
  const kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfig);
  const results: Record<string, Figures[]> = Object.fromEntries(Object.keys(arms).map((k) => [k, []]));
  let n = 0;
  try {
    // One warm-up round each (JIT, kubesim's store), not counted.
    for (const arm of Object.values(arms)) await measure(arm, kc, creatorChild, `w${n++}`);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, arm] of Object.entries(arms)) results[name]?.push(await measure(arm, kc, creatorChild, `r${n++}`));
    }
  } finally {
    creatorChild.disconnect();
    sim.child.kill("SIGTERM");
    await once(sim.child, "exit");
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`one Job watch, ${JOBS} Jobs created and run to completion at --speed ${SPEED}, median of ${ROUNDS} rounds (node ${process.version})`);
  for (const [name, runs] of Object.entries(results)) {
    const cpu = median(runs.map((r) => r.cpuMs));
    const events = median(runs.map((r) => r.events));
    const wall = median(runs.map((r) => r.wallMs));
    const all = runs.map((r) => r.cpuMs.toFixed(0)).join(" ");
    console.log(
      `${name.padEnd(26)} cpu ${cpu.toFixed(0).padStart(5)} ms (${all})   events ${events}   ${((cpu * 1000) / events).toFixed(1)} µs/event   wall ${wall.toFixed(0)} ms`,
    );
  }
  const base = results["client-node Watch"] ?? [];
  const ours = results["createK8sApi().watchJobs"] ?? [];
  console.log(`ratio createK8sApi / client-node: cpu ${(median(ours.map((r) => r.cpuMs)) / median(base.map((r) => r.cpuMs))).toFixed(2)}`);
}

if (process.env["K8S_WATCH_BENCH_ROLE"] === "creator") await creator();
else await main();
