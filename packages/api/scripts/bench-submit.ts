// API submit throughput: validation + allow-list + enqueue + record, in one
// process, at 1, 10 and 100 concurrent producers. Two paths: fastify.inject()
// (no sockets: the API's own cost) and real HTTP over loopback (keep-alive).
// The baseline, measured in the same run, is validateBuildRequest alone, so
// the ratio shows what Redis and HTTP add. Prints figures; asserts nothing.
//
//   pnpm --filter @buildfleet/api bench [--count 2000] [--ui on|off|both]   (REDIS_URL or a local redis-server)
//
// --ui: with the dashboard served (on, the default, as the API runs), without
// it (off: no /ui routes, no session-cookie hook), or both in this run, each
// row then also printing the ratio served / not served. On a shared machine
// one run's noise is larger than that difference: --rounds 5 interleaves the
// two modes five times and prints each row's median.
import { Agent, request as httpRequest } from "node:http";
import { parseArgs } from "node:util";
import { Queue } from "bullmq";
import { BuildQueues, BuildStore, createLogger, createProducerConnection, createWorkerConnection, keyspace, loadConfig, waitForReady } from "@buildfleet/shared";
import { validateBuildRequest } from "@buildfleet/contract";
import { scriptArgs, startRedis, uniquePrefix } from "@buildfleet/testkit";
import { buildApp } from "../src/app.js";
import { hashToken, TokenTable } from "../src/auth/tokens.js";

const { values: args } = parseArgs({ args: scriptArgs(), options: { count: { type: "string", default: "2000" }, ui: { type: "string", default: "on" }, rounds: { type: "string", default: "1" } } });
const COUNT = Number(args.count);
/** Each row is run this many times (the modes alternating, their order flipped each round); the median is printed. */
const ROUNDS = Math.max(1, Math.floor(Number(args.rounds)));
if (!["on", "off", "both"].includes(args.ui)) throw new Error(`--ui takes on, off or both, not ${args.ui}`);
const UI_MODES: boolean[] = args.ui === "both" ? [false, true] : [args.ui === "on"];
const LEVELS = [1, 10, 100];
const PHASE_TIMEOUT_MS = 120_000;
const TOKEN = "bench-token";

const request = {
  context: { type: "git", url: "https://github.com/example/app.git", ref: "refs/heads/main" },
  destinations: ["registry.internal:5000/bench/app:v1.0.0", "registry.internal:5000/bench/app:latest"],
  buildArgs: { VERSION: "1.0.0" },
  labels: { team: "bench" },
};
const body = JSON.stringify(request);

async function runConcurrent(count: number, concurrency: number, op: () => Promise<void>): Promise<{ perSecond: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let next = 0;
  const deadline = Date.now() + PHASE_TIMEOUT_MS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && Date.now() < deadline) {
        next++;
        const t = performance.now();
        await op();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { perSecond: latencies.length / seconds, p50: pct(0.5), p99: pct(0.99) };
}

async function main(): Promise<void> {
  const redisServer = await startRedis();
  const prefix = uniquePrefix();
  const config = loadConfig({ REDIS_URL: redisServer.url, BUILDFLEET_PREFIX: prefix, LOG_LEVEL: "silent", API_HOST: "127.0.0.1", API_PORT: "0" });
  const ks = keyspace(prefix);
  const redis = createProducerConnection(redisServer.url);
  await waitForReady(redis);
  const queues = new BuildQueues({ connection: redis, keyspace: ks });
  // The bench's own handle, to empty the queue afterwards (the app sees only the port).
  const queue = new Queue(ks.buildQueue, { connection: redis, prefix: ks.bullPrefix });
  const makeApp = (ui: boolean) =>
    buildApp({
      config,
      logger: createLogger({ name: "bench", level: "silent" }),
      redis,
      queues,
      store: new BuildStore({ redis, keyspace: ks, source: "/bench" }),
      tokens: new TokenTable([
        {
          tenant: "bench",
          tokenSha256: hashToken(TOKEN),
          scopes: ["submit"],
          registries: ["registry.internal:5000/bench"],
          secrets: [],
          claims: ["kaniko-workspace"],
          rateLimit: { max: 1_000_000, timeWindowMs: 60_000 },
        },
      ]),
      openStreamConnection: () => createWorkerConnection(redisServer.url),
      // The bench machine has no DNS for github.com; this measures the API, not the resolver.
      resolveHost: () => Promise.resolve({ ok: true, addresses: ["140.82.112.3"] }),
      // The dashboard as the API serves it by default (packages/web/dist, if built), or none at all.
      ui: { enabled: ui },
    });
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const apps: ReturnType<typeof makeApp>[] = [];

  try {
    const validateOnly = await runConcurrent(COUNT * 5, 1, () => {
      if (!validateBuildRequest(JSON.parse(body)).ok) throw new Error("invalid bench request");
      return Promise.resolve();
    });
    console.log(`node ${process.version}, ${COUNT} submits per row, Redis ${redisServer.source}`);
    console.log(`baseline validateBuildRequest alone: ${validateOnly.perSecond.toFixed(0)} /s`);
    console.log(`${ROUNDS} round(s); each figure is the median of its rounds`);
    console.log(`ui       path     producers  submits/s  p50 ms  p99 ms  vs validation${UI_MODES.length > 1 ? "  served/not" : ""}`);
    type Op = () => Promise<void>;
    const ops = new Map<boolean, [string, Op][]>();
    for (const ui of UI_MODES) {
      const app = makeApp(ui);
      apps.push(app);
      const url = await app.listen({ host: "127.0.0.1", port: 0 });
      const viaInject = async (): Promise<void> => {
        const res = await app.inject({ method: "POST", url: "/v1/builds", headers, payload: body });
        if (res.statusCode !== 202) throw new Error(`submit answered ${res.statusCode}: ${res.body}`);
      };
      const viaHttp = (): Promise<void> =>
        new Promise((resolve, reject) => {
          const req = httpRequest(`${url}/v1/builds`, { method: "POST", headers, agent }, (res) => {
            res.resume();
            res.on("end", () => (res.statusCode === 202 ? resolve() : reject(new Error(`submit answered ${res.statusCode}`))));
          });
          req.on("error", reject);
          req.end(body);
        });
      ops.set(ui, [["inject", viaInject], ["http", viaHttp]]);
    }
    const rows = [...["inject", "http"].flatMap((name) => LEVELS.map((level) => ({ name, level })))];
    const samples = new Map<string, { perSecond: number; p50: number; p99: number }[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? UI_MODES : [...UI_MODES].reverse();
      for (const row of rows) {
        for (const ui of order) {
          const op = ops.get(ui)?.find(([n]) => n === row.name)?.[1];
          if (op === undefined) continue;
          const key = `${String(ui)} ${row.name} ${row.level}`;
          samples.set(key, [...(samples.get(key) ?? []), await runConcurrent(COUNT, row.level, op)]);
        }
      }
    }
    const median = (xs: number[]): number => {
      const sorted = [...xs].sort((a, b) => a - b);
      const mid = Math.floor(sorted.length / 2);
      return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
    };
    for (const ui of UI_MODES) {
      for (const row of rows) {
        const of = (mode: boolean) => samples.get(`${String(mode)} ${row.name} ${row.level}`) ?? [];
        const r = of(ui);
        const perSecond = median(r.map((x) => x.perSecond));
        const ratio = ui && UI_MODES.length > 1 ? `  ${(perSecond / median(of(false).map((x) => x.perSecond))).toFixed(3).padStart(10)}` : "";
        console.log(
          `${(ui ? "served" : "none").padEnd(8)} ${row.name.padEnd(8)} ${String(row.level).padStart(9)}  ${perSecond.toFixed(0).padStart(9)}  ${median(r.map((x) => x.p50)).toFixed(2).padStart(6)}  ${median(r.map((x) => x.p99)).toFixed(2).padStart(6)}  ${(perSecond / validateOnly.perSecond).toFixed(3).padStart(13)}${ratio}`,
        );
      }
    }
    console.log(`queue now holds ${await queue.count()} builds`);
  } finally {
    agent.destroy();
    for (const app of apps) await app.close().catch(() => undefined);
    await queues.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    const keys = await redis.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
    await redis.quit();
    await redisServer.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
