// Schedules due in the same minute: N mirror schedules on one registry, all
// "0 * * * *", fired by two scheduler replicas from a clock set to the due
// time. Prints the firing delay after the due time (measured at each firing's
// registry HEAD) at p50/p99, and HEAD requests per second against the
// fleet-wide configured budget (in Redis, shared by both replicas); the baseline is N bare HEADs on the same registry stub in
// the same run. Asserts nothing.
//
//   pnpm --filter @buildfleet/worker bench:schedules [--schedules 10000] [--budget 1000]
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { createLogger, createWorkerConnection, loadConfig, parseSchedule, waitForReady, ScheduleStore } from "@buildfleet/shared";
import { startRedis, uniquePrefix } from "@buildfleet/testkit";
import { Scheduler } from "../src/schedules/scheduler.js";

const { values: args } = parseArgs({ options: { schedules: { type: "string", default: "10000" }, budget: { type: "string", default: "1000" } } });
const N = Number(args.schedules);
const BUDGET = Number(args.budget);
const DUE = Date.parse("2026-01-01T10:00:00Z");
const DIGEST = `sha256:${"d".repeat(64)}`;

let clockOffset = 0; // fake = real + offset
const fakeNow = () => Date.now() + clockOffset;
const heads: number[] = [];
const realHeads: number[] = [];
const server = createServer((req, res) => {
  if (req.method === "HEAD") {
    heads.push(fakeNow());
    realHeads.push(Date.now());
  }
  res.writeHead(200, { "docker-content-digest": DIGEST }).end();
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const port = (server.address() as { port: number }).port;

const redis = await startRedis();
const prefix = uniquePrefix();
const config = loadConfig({ REDIS_URL: redis.url, BUILDFLEET_PREFIX: prefix, BUILDFLEET_TAG_POLICY: "allow-latest", LOG_LEVEL: "silent" });
const logger = createLogger({ name: "bench", level: "silent" });
const conn = createWorkerConnection(redis.url);
await waitForReady(conn, 10_000);

// Baseline: N bare HEADs, sequential, on the same stub.
const t0 = performance.now();
for (let i = 0; i < N; i++) await fetch(`http://127.0.0.1:${port}/v2/library/busybox/manifests/latest`, { method: "HEAD" });
const baselinePerSec = N / ((performance.now() - t0) / 1000);
heads.length = 0;
realHeads.length = 0;

clockOffset = Date.parse("2026-01-01T09:59:00Z") - Date.now();
const store = new ScheduleStore(conn, prefix, () => new Date(fakeNow()));
for (let i = 0; i < N; i++) {
  await store.put(
    "bench",
    parseSchedule({ apiVersion: "buildfleet.dev/v1", kind: "Schedule", metadata: { name: `m${i}` }, spec: { cron: "0 * * * *", target: { mirror: { source: `127.0.0.1:${port}/library/busybox:latest`, destinations: [`registry.internal:5000/mirror/b${i}:latest`] } } } }),
  );
}
clockOffset = DUE - Date.now();
const replicas = [0, 1].map(() => new Scheduler({ config, logger, now: () => new Date(fakeNow()), headsPerSecond: BUDGET }));
const deadline = Date.now() + 600_000;
while (heads.length < N && Date.now() < deadline) await Promise.all(replicas.map((r) => r.tick()));

const delays = heads.map((t) => t - DUE).sort((a, b) => a - b);
const pct = (p: number) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))] ?? NaN;
const perSecond = new Map<number, number>();
for (const t of realHeads) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
const peak = Math.max(...perSecond.values());
const span = (Math.max(...realHeads) - Math.min(...realHeads)) / 1000;
console.log(`schedules due at once: ${N}, fired: ${heads.length} (HEADs; one per firing)`);
console.log(`firing delay after due time: p50 ${(pct(50) / 1000).toFixed(2)} s, p99 ${(pct(99) / 1000).toFixed(2)} s (spread window ${config.worker.schedules.spreadMs / 1000} s)`);
console.log(
  `HEAD/s on the one registry: peak ${peak}, mean ${(realHeads.length / Math.max(span, 0.001)).toFixed(0)}; fleet-wide budget ${BUDGET}/s shared by 2 replicas (peak/budget ${(peak / BUDGET).toFixed(2)}); bare-HEAD baseline ${baselinePerSec.toFixed(0)}/s (peak/baseline ${(peak / baselinePerSec).toFixed(2)})`,
);

await Promise.all(replicas.map((r) => r.stop()));
conn.disconnect();
server.close();
await redis.stop();
