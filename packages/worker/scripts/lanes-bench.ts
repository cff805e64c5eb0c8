// Lanes benchmark on kubesim + a real Redis + a real worker. Prints figures; asserts nothing.
// Tenant B's 10 interactive builds: queue wait (submit → record leaves `queued`) p95 on an idle
// fleet, then the same 10 submitted right after tenant A queued BENCH_BULK bulk builds that fill
// every slot the reservation leaves (target ratio ≤ 1.5×). Same run, same worker settings.
// Then two tenants flood the bulk lane with weights 1:2: their running shares once every slot is taken.
// Then dispatch throughput: BENCH_DISPATCH short builds queued while paused, the queue resumed, builds
// per second until none waits — one lane and one tenant with nothing reserved (the figure before lanes)
// against the same builds spread over the three lanes and three weighted tenants (fair-share tags,
// fleet-wide shared-slot leases, hand-backs), without and with LANE_RESERVED_INTERACTIVE=20%.
//
//   pnpm --filter @buildfleet/worker bench:lanes   (BENCH_BULK default 1000, BENCH_SLOTS default 20, BENCH_DISPATCH default 400, BENCH_ROUNDS default 3)
import { startKubeSim } from "@buildfleet/kubesim";
import { BuildStore, FairShare, createLogger, createWorkerConnection, keyspace, loadConfig, submitBuild, waitForReady } from "@buildfleet/shared";
import { parseBuildRequest } from "@buildfleet/contract";
import { startRedis, uniquePrefix } from "@buildfleet/testkit";
import { Queue } from "bullmq";
import { WorkerService } from "../src/service.js";

const BULK = Number(process.env["BENCH_BULK"] ?? 1000);
const SLOTS = Number(process.env["BENCH_SLOTS"] ?? 20);
const INTERACTIVE = 10;
const DISPATCH = Number(process.env["BENCH_DISPATCH"] ?? 400);
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 3);

const request = (priority: "interactive" | "normal" | "bulk", mode: string = priority) =>
  parseBuildRequest(
    {
      context: { type: "volume", claimName: "kaniko-workspace", path: "b" },
      destinations: ["registry.internal:5000/bench/app:v1"],
      priority,
      buildArgs: { MODE: mode },
    },
    { tagPolicy: "allow-latest" },
  );

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

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

type Mix = { lanes: boolean; reserved: string };

/** Redis commands the server has processed so far (this bench's own server: nothing else talks to it). */
async function commandsProcessed(conn: ReturnType<typeof createWorkerConnection>): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await conn.info("stats"))?.[1] ?? NaN);
}

/**
 * Builds per second the fleet takes off the queue (DISPATCH builds queued while paused, then resumed),
 * and Redis commands per build meanwhile: a figure the machine's load does not move.
 */
async function dispatch(redisUrl: string, mix: Mix): Promise<{ perSecond: number; commandsPerBuild: number }> {
  // Short builds (~200 ms at 100×) so that taking builds, not running them, is what the figure measures.
  const sim = await startKubeSim({ speed: 100, startDelayMs: 1_000, scenario: [{ match: { args: "short" }, attempts: [{ succeed: { afterMs: 20_000 } }] }] });
  const config = loadConfig({
    REDIS_URL: redisUrl,
    BUILDFLEET_PREFIX: uniquePrefix(),
    BUILD_NAMESPACE: "buildfleet",
    BUILDFLEET_TAG_POLICY: "allow-latest",
    WORKER_HTTP_PORT: "0",
    WORKER_HTTP_HOST: "127.0.0.1",
    WORKER_CONCURRENCY: String(SLOTS),
    LANE_RESERVED_INTERACTIVE: mix.reserved,
    LOG_LEVEL: "error",
  });
  const ks = keyspace(config.redis.prefix);
  const conn = createWorkerConnection(redisUrl);
  await waitForReady(conn);
  const store = new BuildStore({ redis: conn, keyspace: ks, source: "/bench" });
  const queue = new Queue(ks.buildQueue, { connection: conn, prefix: ks.bullPrefix });
  const deps = { store, queue, fairShare: new FairShare(conn, ks) };
  const lanes = ["interactive", "normal", "bulk"] as const;
  const tenants = [["team-a", 1], ["team-b", 1], ["team-c", 2]] as const;
  await queue.pause();
  for (let i = 0; i < DISPATCH; i++) {
    const [tenant, weight] = mix.lanes ? (tenants[i % tenants.length] ?? tenants[0]) : tenants[0];
    const lane = mix.lanes ? (lanes[Math.floor(i / tenants.length) % lanes.length] ?? "normal") : "normal";
    await submitBuild(deps, { tenant, weight, request: request(lane, "short") });
  }
  const service = new WorkerService({ config, logger: createLogger({ name: "bench", level: "error" }), kubeConfig: sim.kubeConfig, http: false });
  try {
    await service.start();
    const commandsBefore = await commandsProcessed(conn);
    const started = Date.now();
    await queue.resume();
    const deadline = started + 300_000;
    for (;;) {
      const c = await queue.getJobCounts("wait", "prioritized", "delayed");
      if ((c["wait"] ?? 0) + (c["prioritized"] ?? 0) + (c["delayed"] ?? 0) === 0) break;
      if (Date.now() > deadline) throw new Error("dispatch did not finish in 300 s");
      await new Promise((r) => setTimeout(r, 10));
    }
    const perSecond = (DISPATCH * 1000) / (Date.now() - started);
    // Polling the counts costs one command per 10 ms either way; whatever the worker does is in the rest.
    return { perSecond, commandsPerBuild: ((await commandsProcessed(conn)) - commandsBefore) / DISPATCH };
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
    // Rounds interleave the three set-ups, in rotating order, so that the machine's load drifts across all of them alike;
    // the figures are medians, the spread (min–max) says how far to trust a ratio.
    const runs = { single: [] as number[], lanes: [] as number[], reserved: [] as number[] };
    const commands = { single: [] as number[], lanes: [] as number[], reserved: [] as number[] };
    const setups = [
      ["single", { lanes: false, reserved: "0" }],
      ["lanes", { lanes: true, reserved: "0" }],
      ["reserved", { lanes: true, reserved: "20%" }],
    ] as const;
    for (let r = 0; r < ROUNDS; r++) {
      // Each round starts with the next set-up, so none is always first (or always after the same one).
      for (let k = 0; k < setups.length; k++) {
        const [name, mix] = setups[(r + k) % setups.length] ?? setups[0];
        const d = await dispatch(server.url, mix);
        runs[name].push(d.perSecond);
        commands[name].push(d.commandsPerBuild);
      }
    }
    const fig = (xs: number[]): string => `${median(xs).toFixed(1)} builds/s (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
    const base = median(runs.single);
    console.log(`dispatch throughput (${DISPATCH} builds, ${SLOTS} slots, median of ${ROUNDS} interleaved rounds): single lane ${fig(runs.single)}`);
    console.log(`  three lanes, three weighted tenants: ${fig(runs.lanes)}, ratio ${(median(runs.lanes) / base).toFixed(2)}× (target ≥ 0.9×)`);
    console.log(
      `  the same with 20 % reserved for interactive: ${fig(runs.reserved)}, ratio ${(median(runs.reserved) / base).toFixed(2)}× ` +
        `(once the interactive third has run, normal and bulk may use ${SLOTS - Math.floor(SLOTS / 5)} of ${SLOTS} slots by design)`,
    );
    const per = (name: keyof typeof commands): string => median(commands[name]).toFixed(1);
    console.log(`  Redis commands per dispatched build (median): single lane ${per("single")}, three lanes ${per("lanes")}, with 20 % reserved ${per("reserved")}`);
  } finally {
    await server.stop();
  }
}

await main();
