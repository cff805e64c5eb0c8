// API submit throughput: validation + allow-list + enqueue + record, in one
// process, at 1, 10 and 100 concurrent producers. Two paths: fastify.inject()
// (no sockets: the API's own cost) and real HTTP over loopback (keep-alive).
// The baseline, measured in the same run, is validateBuildRequest alone, so
// the ratio shows what Redis and HTTP add. Prints figures; asserts nothing.
//
//   pnpm --filter @buildfleet/api bench [--count 2000]   (REDIS_URL or a local redis-server)
import { Agent, request as httpRequest } from "node:http";
import { parseArgs } from "node:util";
import { Queue } from "bullmq";
import { BuildQueues, BuildStore, createLogger, createProducerConnection, createWorkerConnection, keyspace, loadConfig, waitForReady } from "@buildfleet/shared";
import { validateBuildRequest } from "@buildfleet/contract";
import { startRedis, uniquePrefix } from "@buildfleet/testkit";
import { buildApp } from "../src/app.js";
import { hashToken, TokenTable } from "../src/auth/tokens.js";

const { values: args } = parseArgs({ options: { count: { type: "string", default: "2000" } } });
const COUNT = Number(args.count);
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
  const app = buildApp({
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
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

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

  try {
    const validateOnly = await runConcurrent(COUNT * 5, 1, () => {
      if (!validateBuildRequest(JSON.parse(body)).ok) throw new Error("invalid bench request");
      return Promise.resolve();
    });
    console.log(`node ${process.version}, ${COUNT} submits per row, Redis ${redisServer.source}`);
    console.log(`baseline validateBuildRequest alone: ${validateOnly.perSecond.toFixed(0)} /s`);
    console.log("path     producers  submits/s  p50 ms  p99 ms  vs validation");
    for (const [name, op] of [["inject", viaInject], ["http", viaHttp]] as const) {
      for (const level of LEVELS) {
        const r = await runConcurrent(COUNT, level, op);
        console.log(
          `${name.padEnd(8)} ${String(level).padStart(9)}  ${r.perSecond.toFixed(0).padStart(9)}  ${r.p50.toFixed(2).padStart(6)}  ${r.p99.toFixed(2).padStart(6)}  ${(r.perSecond / validateOnly.perSecond).toFixed(3).padStart(13)}`,
        );
      }
    }
    console.log(`queue now holds ${await queue.count()} builds`);
  } finally {
    agent.destroy();
    await app.close();
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
