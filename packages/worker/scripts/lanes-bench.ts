// Lanes benchmark on kubesim + a real Redis + a real worker. Prints figures; asserts nothing.
// Tenant B's 10 interactive builds: queue wait (submit → record leaves `queued`) p95 on an idle
// fleet, then the same 10 submitted right after tenant A queued BENCH_BULK bulk builds that fill
// every slot the reservation leaves (target ratio ≤ 1.5×). Same run, same worker settings.
// Then two tenants flood the bulk lane with weights 1:2: their running shares once every slot is taken.
//
//   pnpm --filter @buildfleet/worker bench:lanes   (BENCH_BULK default 1000, BENCH_SLOTS default 20)
import { startKubeSim } from "@buildfleet/kubesim";
import { BuildStore, FairShare, createLogger, createWorkerConnection, keyspace, loadConfig, submitBuild, waitForReady } from "@buildfleet/shared";
import { parseBuildRequest } from "@buildfleet/contract";
import { startRedis, uniquePrefix } from "@buildfleet/testkit";
import { Queue } from "bullmq";
import { WorkerService } from "../src/service.js";

const BULK = Number(process.env["BENCH_BULK"] ?? 1000);
const SLOTS = Number(process.env["BENCH_SLOTS"] ?? 20);
const INTERACTIVE = 10;

const request = (priority: "interactive" | "bulk") =>
  parseBuildRequest(
    {
      context: { type: "volume", claimName: "kaniko-workspace", path: "b" },
      destinations: ["registry.internal:5000/bench/app:v1"],
      priority,
      buildArgs: { MODE: priority },
    },
    { tagPolicy: "allow-latest" },
  );

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] ?? NaN;
}

async function run(redisUrl: string, bulk: number): Promise<number> {
  // Bulk builds run ~60 s and hold their slots; interactive ones ~1 s (kubesim at 100×).
  const sim = await startKubeSim({
    speed: 100,
    startDelayMs: 1_000,
    scenario: [
      { match: { args: "bulk" }, attempts: [{ succeed: { afterMs: 6_000_000 } }] },
      { match: { args: "interactive" }, attempts: [{ succeed: { afterMs: 100_000 } }] },
    ],
  });
  const config = loadConfig({
    REDIS_URL: redisUrl,
    BUILDFLEET_PREFIX: uniquePrefix(),
    BUILD_NAMESPACE: "buildfleet",
    BUILDFLEET_TAG_POLICY: "allow-latest",
    WORKER_HTTP_PORT: "0",
    WORKER_HTTP_HOST: "127.0.0.1",
    WORKER_CONCURRENCY: String(SLOTS),
    LANE_RESERVED_INTERACTIVE: `${Math.ceil((INTERACTIVE * 100) / SLOTS)}%`,
    LOG_LEVEL: "error",
  });
  const ks = keyspace(config.redis.prefix);
  const conn = createWorkerConnection(redisUrl);
  await waitForReady(conn);
  const store = new BuildStore({ redis: conn, keyspace: ks, source: "/bench" });
  const queue = new Queue(ks.buildQueue, { connection: conn, prefix: ks.bullPrefix });
  const deps = { store, queue, fairShare: new FairShare(conn, ks) };
  const service = new WorkerService({ config, logger: createLogger({ name: "bench", level: "error" }), kubeConfig: sim.kubeConfig, http: false });
  try {
    await service.start();
    for (let i = 0; i < bulk; i++) await submitBuild(deps, { tenant: "team-a", request: request("bulk") });
    if (bulk > 0) {
      const deadline = Date.now() + 60_000;
      while (service.worker.runningByLane().bulk < SLOTS - service.worker.reservedSlots() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    }
    const submitted: { id: string; at: number }[] = [];
    for (let i = 0; i < INTERACTIVE; i++) {
      const res = await submitBuild(deps, { tenant: "team-b", request: request("interactive") });
      if (res.created) submitted.push({ id: res.record.id, at: Date.now() });
    }
    const waits = new Map<string, number>();
    const deadline = Date.now() + 120_000;
    while (waits.size < submitted.length && Date.now() < deadline) {
      for (const s of submitted) {
        if (waits.has(s.id)) continue;
        const state = (await store.get(s.id))?.state;
        if (state !== undefined && state !== "queued") waits.set(s.id, Date.now() - s.at);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    if (waits.size < submitted.length) throw new Error(`only ${waits.size} of ${submitted.length} interactive builds started in 120 s`);
    return p95([...waits.values()]);
  } finally {
    await service.stop();
    await queue.close();
    conn.disconnect();
    await sim.close();
  }
}

/** Two tenants flood the bulk lane with weights 1:2; their running shares once every slot is taken. */
async function shares(redisUrl: string, perTenant: number): Promise<{ a: number; b: number }> {
  const sim = await startKubeSim({ speed: 100, startDelayMs: 1_000, scenario: [{ match: { args: "bulk" }, attempts: [{ succeed: { afterMs: 6_000_000 } }] }] });
  const config = loadConfig({
    REDIS_URL: redisUrl,
    BUILDFLEET_PREFIX: uniquePrefix(),
    BUILD_NAMESPACE: "buildfleet",
    BUILDFLEET_TAG_POLICY: "allow-latest",
    WORKER_HTTP_PORT: "0",
    WORKER_HTTP_HOST: "127.0.0.1",
    WORKER_CONCURRENCY: String(SLOTS * 3),
    LOG_LEVEL: "error",
  });
  const ks = keyspace(config.redis.prefix);
  const conn = createWorkerConnection(redisUrl);
  await waitForReady(conn);
  const store = new BuildStore({ redis: conn, keyspace: ks, source: "/bench" });
  const queue = new Queue(ks.buildQueue, { connection: conn, prefix: ks.bullPrefix });
  const deps = { store, queue, fairShare: new FairShare(conn, ks) };
  const ids = { a: [] as string[], b: [] as string[] };
  for (let i = 0; i < perTenant; i++) {
    for (const [tenant, weight, list] of [["team-a", 1, ids.a], ["team-b", 2, ids.b]] as const) {
      const res = await submitBuild(deps, { tenant, weight, request: request("bulk") });
      if (res.created) list.push(res.record.id);
    }
  }
  const service = new WorkerService({ config, logger: createLogger({ name: "bench", level: "error" }), kubeConfig: sim.kubeConfig, http: false });
  try {
    await service.start();
    const deadline = Date.now() + 60_000;
    while (service.worker.inFlightBuilds().length < SLOTS * 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const running = new Set(service.worker.inFlightBuilds());
    return { a: ids.a.filter((id) => running.has(id)).length, b: ids.b.filter((id) => running.has(id)).length };
  } finally {
    await service.stop();
    await queue.close();
    conn.disconnect();
    await sim.close();
  }
}

async function main(): Promise<void> {
  const server = await startRedis();
  try {
    const idle = await run(server.url, 0);
    const flooded = await run(server.url, BULK);
    console.log(`interactive queue wait p95: idle fleet ${idle} ms, behind ${BULK} bulk builds ${flooded} ms`);
    console.log(`ratio ${(flooded / Math.max(idle, 1)).toFixed(2)}× (target ≤ 1.5×; ${SLOTS} slots, ${INTERACTIVE} reserved for interactive)`);
    const s = await shares(server.url, 300);
    const bShare = s.b / Math.max(1, s.a + s.b);
    console.log(`weights 1:2 flooding the bulk lane: running ${s.a}:${s.b}, team-b's share ${(bShare * 100).toFixed(1)} % against 66.7 % (target within 10 %)`);
  } finally {
    await server.stop();
  }
}

await main();
