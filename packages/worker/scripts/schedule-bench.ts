// Schedules due in the same minute, through the product's own path: N mirror
// schedules put with the ScheduleStore, their BullMQ job schedulers upserted by
// the owner replica (upsertJobScheduler with the cron pattern and time zone),
// fired in real time by BullMQ at ONE minute boundary, and processed by the
// real consumer (the Scheduler's BullMQ Worker on the schedule-firings queue,
// two replicas): spread offset, per-schedule lock, a manifest HEAD under the
// fleet-wide per-registry budget, the submit of the pinned mirror build.
//
// The HEADs go to the real registry (testkit's, seeded with busybox) through
// counting proxies on loopback, one per simulated registry host; the schedules
// are spread evenly over those hosts. Prints the firing delay after the due
// time (at each firing's HEAD and at its build's submit, and beyond each
// schedule's own spread offset) at p50/p99/max, and the HEAD requests per
// second of each registry against the configured budget, with the load average.
// Bounded: one minute boundary, and a hard timeout after it. Asserts nothing.
//
//   pnpm --filter @buildfleet/worker bench:schedules [--schedules 10000] [--registries 2] [--budget 500]
//     [--spread-ms <SCHEDULE_SPREAD_MS default>] [--lead-seconds 60] [--timeout-seconds 240]
import { createServer, type Server } from "node:http";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { Queue } from "bullmq";
import { BuildStore, ScheduleStore, createLogger, createWorkerConnection, keyspace, loadConfig, parseSchedule, scheduleId, spreadMs, waitForReady } from "@buildfleet/shared";
import { realBuildsSkipReason, scriptArgs, seedBusybox, startRedis, startRegistry, uniquePrefix } from "@buildfleet/testkit";
import { SCHEDULE_FIRINGS_QUEUE, Scheduler } from "../src/schedules/scheduler.js";

const { values: args } = parseArgs({
  args: scriptArgs(),
  options: {
    schedules: { type: "string", default: "10000" },
    registries: { type: "string", default: "2" },
    budget: { type: "string", default: "500" },
    "spread-ms": { type: "string" },
    "lead-seconds": { type: "string", default: "60" },
    "timeout-seconds": { type: "string", default: "240" },
  },
});
const N = Number(args.schedules);
const HOSTS = Number(args.registries);
const BUDGET = Number(args.budget);
const LEAD_MS = Number(args["lead-seconds"]) * 1000;
const TIMEOUT_MS = Number(args["timeout-seconds"]) * 1000;
const TENANT = "bench";

// The hard bound, whatever hangs: setup, the lead, the firing window, and a minute to shut down.
setTimeout(() => {
  console.error("schedule bench: hard timeout");
  process.exit(2);
}, LEAD_MS + TIMEOUT_MS + 180_000).unref();

const skip = realBuildsSkipReason();
if (skip !== undefined) {
  console.error(`schedule bench needs the real registry: ${skip}`);
  process.exit(1);
}
const load = (label: string) => `load average ${label}: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`;
const loadBefore = load("before");

// --- the registries: the real one, behind one counting proxy per simulated host --------------
const registry = await startRegistry({ ignoreEnv: true });
await seedBusybox(registry);
const heads = new Map<string, number[]>(); // host → real ms of each HEAD it received
const servers: Server[] = [];
const hosts: string[] = [];
for (let i = 0; i < HOSTS; i++) {
  const times: number[] = [];
  const server = createServer((req, res) => {
    if (req.method === "HEAD") times.push(Date.now());
    fetch(`${registry.url}${req.url ?? "/"}`, { method: req.method ?? "GET", headers: { accept: String(req.headers.accept ?? "") } })
      .then((up) => res.writeHead(up.status, Object.fromEntries(up.headers)).end())
      .catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  servers.push(server);
  hosts.push(host);
  heads.set(host, times);
}

// --- the product, configured as an operator would -------------------------------------------
const redis = await startRedis();
const prefix = uniquePrefix();
const config = loadConfig({
  REDIS_URL: redis.url,
  BUILDFLEET_PREFIX: prefix,
  BUILDFLEET_TAG_POLICY: "allow-latest",
  LOG_LEVEL: "silent",
  SCHEDULE_HEADS_PER_SECOND: String(BUDGET),
  ...(args["spread-ms"] !== undefined ? { SCHEDULE_SPREAD_MS: args["spread-ms"] } : {}),
});
const SPREAD = config.worker.schedules.spreadMs;
const logger = createLogger({ name: "bench", level: "silent" });
const conn = createWorkerConnection(redis.url);
await waitForReady(conn, 10_000);
const ks = keyspace(prefix);
const builds = new BuildStore({ redis: conn, keyspace: ks, source: "/bench" });
// For reading the runs after the replicas stopped (their connections close with them).
const runs = new ScheduleStore(conn, prefix);
const firings = new Queue(SCHEDULE_FIRINGS_QUEUE, { connection: conn, prefix: ks.bullPrefix });
const replicas = [0, 1].map(() => new Scheduler({ config, logger }));

// One minute boundary, far enough ahead for the setup; a daily pattern, so it is the only one in the run.
const due = Math.ceil((Date.now() + LEAD_MS) / 60_000) * 60_000;
const dueDate = new Date(due);
const pattern = `${dueDate.getUTCMinutes()} ${dueDate.getUTCHours()} * * *`;
const names = Array.from({ length: N }, (_, i) => `m${i}`);
const hostOf = (i: number) => hosts[i % HOSTS]!;

const t0 = Date.now();
for (let i = 0; i < N; i += 200) {
  await Promise.all(
    names.slice(i, i + 200).map((name, j) =>
      replicas[0]!.schedules.put(
        TENANT,
        parseSchedule(
          {
            apiVersion: "buildfleet.dev/v1",
            kind: "Schedule",
            metadata: { name },
            spec: { cron: pattern, timeZone: "UTC", target: { mirror: { source: `${hostOf(i + j)}/library/busybox:latest`, destinations: [`registry.internal:5000/mirror/${name}:latest`] } } },
          },
          { tagPolicy: "allow-latest" },
        ),
      ),
    ),
  );
}
const putMs = Date.now() - t0;
// The owner's reconcile upserts one job scheduler per schedule (what every replica's timer does from now on).
const t1 = Date.now();
await replicas[0]!.reconcile();
const upsertMs = Date.now() - t1;
const schedulers = await firings.getJobSchedulersCount();
console.log(`setup: ${N} schedules put in ${(putMs / 1000).toFixed(1)} s, ${schedulers} job schedulers upserted by the owner in ${(upsertMs / 1000).toFixed(1)} s; pattern "${pattern}" UTC, due ${dueDate.toISOString()}`);
if (schedulers !== N || Date.now() > due - 1_000) {
  console.error(schedulers !== N ? `expected ${N} job schedulers` : `setup ran past the due time: rerun with a larger --lead-seconds`);
  process.exit(3);
}
await Promise.all(replicas.map((r) => r.start()));
console.log(`waiting ${((due - Date.now()) / 1000).toFixed(0)} s for the minute boundary…`);

// --- wait for every schedule's firing, bounded ------------------------------------------------
const deadline = due + TIMEOUT_MS;
const totalHeads = () => [...heads.values()].reduce((n, t) => n + t.length, 0);
const ids = names.map((n) => scheduleId(TENANT, n));
const handled = async (): Promise<number> => {
  let count = 0;
  for (let i = 0; i < ids.length; i += 1000) {
    const p = conn.pipeline();
    for (const id of ids.slice(i, i + 1000)) p.hget(`${prefix}:schedule:${id}:state`, "handledAt");
    for (const [, v] of (await p.exec()) ?? []) if (Number(v) === due) count++;
  }
  return count;
};
let done = 0;
let timedOut = false;
for (;;) {
  await new Promise((r) => setTimeout(r, 1_000));
  if (Date.now() < due) continue;
  if (totalHeads() >= N) done = await handled();
  if (done >= N) break;
  if (Date.now() > deadline) {
    timedOut = true;
    done = await handled();
    break;
  }
}
const finishedAfter = Date.now() - due;
const loadAfter = load("after");
await Promise.all(replicas.map((r) => r.stop()));

// --- figures ------------------------------------------------------------------------------------
const outcomes = new Map<string, number>();
const submitDelay: number[] = [];
const beyondSpread: number[] = [];
for (let i = 0; i < ids.length; i += 200) {
  await Promise.all(
    ids.slice(i, i + 200).map(async (id) => {
      const run = (await runs.runs(id)).find((r) => Date.parse(r.fireAt) === due);
      const outcome = run === undefined ? "not fired" : run.outcome;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      const record = run?.buildId === undefined ? undefined : await builds.get(run.buildId);
      if (record === undefined) return;
      const at = Date.parse(record.createdAt) - due;
      submitDelay.push(at);
      beyondSpread.push(at - spreadMs(id, SPREAD));
    }),
  );
}
const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const summary = (values: number[]) => `p50 ${secs(pct(values, 50))}, p99 ${secs(pct(values, 99))}, max ${secs(Math.max(...values))}`;
const headDelay = [...heads.values()].flat().map((t) => t - due);

console.log(`${timedOut ? "TIMED OUT: " : ""}${done}/${N} schedules fired for ${dueDate.toISOString()} in ${secs(finishedAfter)} after the due time; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);
console.log(`firing delay after the due time (spread window ${SPREAD / 1000} s, 2 replicas × concurrency 16):`);
console.log(`  at the HEAD check:        ${summary(headDelay)}`);
console.log(`  at the build submit:      ${summary(submitDelay)}`);
console.log(`  beyond its spread offset: ${summary(beyondSpread)}`);
for (const [host, times] of heads) {
  const perSecond = new Map<number, number>();
  for (const t of times) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
  const span = times.length < 2 ? 0 : (Math.max(...times) - Math.min(...times)) / 1000;
  const peak = Math.max(0, ...perSecond.values());
  console.log(
    `registry ${host}: ${times.length} HEADs over ${span.toFixed(1)} s, mean ${(times.length / Math.max(span, 0.001)).toFixed(0)}/s, peak ${peak}/s in one second; budget ${BUDGET}/s per registry, fleet-wide (peak/budget ${(peak / BUDGET).toFixed(2)})`,
  );
}
console.log(`${loadBefore}; ${loadAfter} (2 cores, shared)`);

await firings.close();
conn.disconnect();
await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
await registry.stop();
await redis.stop();
process.exit(timedOut ? 2 : 0);
