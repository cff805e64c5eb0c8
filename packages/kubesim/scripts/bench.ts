// kubesim scale benchmark: Job creates per second over real HTTP (keep-alive,
// concurrent client) and 10,000 live Jobs with 50 open watches receiving every
// event. The server runs in a child process so client and server do not share
// one event loop. Prints figures; asserts nothing.
//
//   pnpm --filter @buildfleet/kubesim bench [--jobs 10000] [--watches 50] [--concurrency 64] [--no-controller]
import { spawn, type ChildProcess } from "node:child_process";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { scriptArgs } from "@buildfleet/testkit";

const { values: args } = parseArgs({
  args: scriptArgs(),
  options: {
    jobs: { type: "string", default: "10000" },
    warmup: { type: "string", default: "2000" },
    watches: { type: "string", default: "50" },
    concurrency: { type: "string", default: "64" },
    "no-controller": { type: "boolean", default: false },
    serve: { type: "boolean", default: false },
  },
});

const JOBS = Number(args.jobs);
const WARMUP = Number(args.warmup);
const WATCHES = Number(args.watches);
const CONCURRENCY = Number(args.concurrency);
/** Every phase is bounded in time as well as in count. */
const PHASE_TIMEOUT_MS = 120_000;

async function serve(): Promise<void> {
  const { startKubeSim } = await import("../src/index.js");
  const noController = args["no-controller"];
  const sim = await startKubeSim({
    // Jobs stay live (running) for the whole benchmark: 10 simulated minutes at speed 1.
    defaultRunMs: 600_000,
    historySize: 10_000,
    namespaces: ["default", "kube-system", "buildfleet", "bench-a", "bench-b"],
    ...(noController
      ? {
          controlPlane: () => ({
            logs: { read: () => "", follow: (_n: string, _p: string, _c: string, _l: unknown, end: () => void) => (end(), () => undefined) },
            setScenario: () => undefined,
            addRules: () => undefined,
            clearScenario: () => undefined,
            getScenario: () => [],
            start: () => undefined,
            stop: () => undefined,
          }),
        }
      : {}),
  });
  process.stdout.write(`URL ${sim.url}\n`);
  process.once("SIGTERM", () => {
    void sim.close().then(() => process.exit(0));
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function post(base: string, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: "POST", agent, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function getJson(base: string, path: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    request(`${base}${path}`, { agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve(JSON.parse(text) as Record<string, unknown>));
    })
      .on("error", reject)
      .end();
  });
}

const jobBody = (name: string) =>
  JSON.stringify({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, labels: { "buildfleet.dev/bench": "1" } },
    spec: {
      backoffLimit: 3,
      template: {
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              name: "kaniko",
              image: "gcr.io/kaniko-project/executor:v1.23.2",
              args: ["--context=/workspace/ctx", "--dockerfile=/workspace/ctx/Dockerfile", `--destination=registry.local/bench/${name}:v1`],
            },
          ],
        },
      },
    },
  });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function createMany(base: string, namespace: string, count: number, prefix: string) {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  const deadline = Date.now() + PHASE_TIMEOUT_MS;
  async function worker(): Promise<void> {
    while (next < count && Date.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      const status = await post(base, `/apis/batch/v1/namespaces/${namespace}/jobs`, jobBody(`${prefix}-${i}`));
      latencies.push(performance.now() - t0);
      if (status !== 201) failures += 1;
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { created: latencies.length - failures, failures, seconds, perSecond: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

interface WatchCounter {
  jobEvents: number;
  close(): void;
}

function openWatch(base: string, namespace: string): Promise<WatchCounter> {
  return new Promise((resolve, reject) => {
    const counter: WatchCounter = { jobEvents: 0, close: () => undefined };
    // Own socket per watch: a watch holds its connection for its whole life.
    const req = request(`${base}/apis/batch/v1/namespaces/${namespace}/jobs?watch=true&resourceVersion=${"0"}`, { agent: false }, (res) => {
      // Count ADDED events on raw bytes, without decoding or splitting lines:
      // the client must not be the bottleneck.
      const marker = Buffer.from('{"type":"ADDED"');
      let tail = Buffer.alloc(0);
      res.on("data", (chunk: Buffer) => {
        const buf = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
        for (let i = buf.indexOf(marker); i >= 0; i = buf.indexOf(marker, i + marker.length)) counter.jobEvents += 1;
        // Shorter than the marker, so a match is never counted twice.
        tail = Buffer.from(buf.subarray(Math.max(0, buf.length - (marker.length - 1))));
      });
      counter.close = () => req.destroy();
      resolve(counter);
    });
    req.on("error", (err) => {
      if (counter.close === undefined) reject(err);
    });
    req.end();
  });
}

async function until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

async function main(): Promise<void> {
  const child: ChildProcess = spawn(process.execPath, [...(process.env.KUBESIM_BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean), "--conditions=source", "--import", "tsx", fileURLToPath(import.meta.url), "--serve", ...(args["no-controller"] ? ["--no-controller"] : [])], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const base = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /URL (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once("exit", () => reject(new Error("server exited early")));
  });
  const stats = async () => (await getJson(base, "/kubesim/v1/stats")) as { rssBytes: number; cpuMicros: number; objects: Record<string, number> };
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
  console.log(`kubesim bench: ${JOBS} jobs, ${WATCHES} watches, concurrency ${CONCURRENCY}, controller ${args["no-controller"] ? "off" : "on"}, node ${process.version}`);
  try {
    const cpu0 = (await stats()).cpuMicros;
    const warm = await createMany(base, "bench-a", WARMUP, "warm");
    const cpu1 = (await stats()).cpuMicros;
    console.log(`baseline (0 watches): ${warm.created} creates in ${warm.seconds.toFixed(2)} s = ${warm.perSecond.toFixed(0)}/s, p50 ${warm.p50.toFixed(1)} ms, p99 ${warm.p99.toFixed(1)} ms, failures ${warm.failures}`);
    // Server CPU per create does not depend on what else runs on the machine.
    const cpuPer = (micros: number, n: number) => `server CPU ${(micros / n).toFixed(0)} µs/create (≈ ${(1e6 / (micros / n)).toFixed(0)} creates/s per core)`;
    console.log(`  ${cpuPer(cpu1 - cpu0, warm.created)}`);
    const watches = await Promise.all(Array.from({ length: WATCHES }, () => openWatch(base, "bench-b")));
    const cpu2 = (await stats()).cpuMicros;
    const t0 = performance.now();
    const run = await createMany(base, "bench-b", JOBS, "job");
    const delivered = await until(() => watches.every((w) => w.jobEvents >= run.created), PHASE_TIMEOUT_MS);
    const cpu3 = (await stats()).cpuMicros;
    const caughtUp = (performance.now() - t0) / 1000;
    console.log(`with ${WATCHES} watches: ${run.created} creates in ${run.seconds.toFixed(2)} s = ${run.perSecond.toFixed(0)}/s, p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms, failures ${run.failures}`);
    console.log(`  ${cpuPer(cpu3 - cpu2, run.created)}, including delivery to ${WATCHES} watches`);
    const minSeen = Math.min(...watches.map((w) => w.jobEvents));
    console.log(`watch delivery: every watch saw ${minSeen}/${run.created} ADDED events ${delivered ? "" : "(INCOMPLETE) "}within ${caughtUp.toFixed(2)} s of the first create`);
    const l0 = performance.now();
    const list = await getJson(base, "/apis/batch/v1/jobs");
    console.log(`LIST all jobs: ${(list.items as unknown[]).length} items in ${(performance.now() - l0).toFixed(0)} ms`);
    const s = await stats();
    console.log(`server: ${JSON.stringify(s.objects)}, RSS ${mb(s.rssBytes)}`);
    const loadavg = (await import("node:os")).loadavg();
    console.log(`machine load average (1 min) at the end: ${loadavg[0]?.toFixed(2)} on ${(await import("node:os")).availableParallelism()} cores`);
    for (const w of watches) w.close();
  } finally {
    child.kill("SIGTERM");
    agent.destroy();
  }
}

if (args.serve) await serve();
else await main();
