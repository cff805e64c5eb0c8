// Rebuild-wave benchmark. Prints figures; asserts nothing.
// 1. Dry run: planRebuild (catalog read from Redis, graph, plan) for a synthetic
//    catalog of --plan-images images over 5 levels (goal < 1 s).
// 2. Enqueue: a wave's first step over a catalog of --images images FROM one
//    base (plan, pin, submit maxInFlight builds, write the wave) against a bare
//    BullMQ addBulk of the same payloads (the step's entries' data, under new
//    ids), pairs measured back to back, median of --runs after --warmup pairs
//    not counted (goal >= 0.5x). Also as CPU (this process + Redis), which the
//    load of a shared machine disturbs less than wall time. The first step is
//    also split where the new wave's first write returns. Then a level after
//    the first, the issue's "enqueueing a level": a base and --images images
//    FROM it, the step after the base's success (submitLevel and the wave
//    write, as driveWave does for each next level) against the same addBulk.
// 3. Coordinator CPU per node: the outcomes of those builds fed back in
//    batches of 100 (as from the events stream), each batch a wave step that
//    also submits the next nodes.
// 4. Interactive builds during a --wave-images wave (kubesim + a real worker):
//    queue wait p95 of 10 interactive builds submitted while the wave's bulk
//    builds hold every slot the interactive reservation leaves, against the
//    same builds on an idle fleet (goal <= 1.5x).
//
//   pnpm --filter @buildfleet/worker bench:wave [--images 2000] [--plan-images 10000] [--wave-images 1000] [--runs 5] [--warmup 1]   (0 skips a part)
import { parseArgs } from "node:util";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { startKubeSim } from "@buildfleet/kubesim";
import {
  BUILD_JOB_NAME,
  BuildStore,
  CatalogStore,
  FairShare,
  MAX_MAX_IN_FLIGHT,
  WaveStore,
  buildJobOptions,
  createLogger,
  createWorkerConnection,
  driveWave,
  imageId,
  keyspace,
  loadConfig,
  planRebuild,
  prepareEntry,
  startRebuild,
  submitBuild,
  waitForReady,
  type Keyspace,
  type RunnerDeps,
  type WaveDoc,
} from "@buildfleet/shared";
import { newBuildId, parseBuildRequest, parseImage, type Image, type QueuedBuild } from "@buildfleet/contract";
import { scriptArgs, startRedis, uniquePrefix } from "@buildfleet/testkit";
import { WorkerService } from "../src/service.js";

const { values: args } = parseArgs({
  args: scriptArgs(),
  options: {
    images: { type: "string", default: "2000" },
    "plan-images": { type: "string", default: "10000" },
    "wave-images": { type: "string", default: "1000" },
    runs: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    phases: { type: "boolean", default: false },
  },
});
const IMAGES = Number(args.images);
const PLAN_IMAGES = Number(args["plan-images"]);
const WAVE_IMAGES = Number(args["wave-images"]);
const RUNS = Math.max(1, Number(args.runs));
/** Pairs run and not counted before the timed ones: the first one parses the catalog and warms the JIT. */
const WARMUP = Math.max(0, Number(args.warmup));
const PHASES = args.phases;
const IN_FLIGHT = Math.min(IMAGES, MAX_MAX_IN_FLIGHT);
const REG = "registry.internal:5000";
const BASE = `${REG}/bench/base:v1`;
const SLOTS = 20;
const INTERACTIVE = 10;

const image = (name: string, dockerfile: string, buildArgs?: Record<string, string>) =>
  parseImage({
    apiVersion: "buildfleet.dev/v1",
    kind: "Image",
    metadata: { name },
    spec: {
      build: {
        context: { type: "inline", files: {} },
        dockerfile: { inline: dockerfile },
        destinations: [`${REG}/bench/${name}:v1`],
        ...(buildArgs !== undefined ? { buildArgs } : {}),
      },
    },
  });

/** One level of `n` images FROM the base. */
const flatCatalog = (n: number, buildArgs?: Record<string, string>) => Array.from({ length: n }, (_, i) => image(`app-${i}`, `FROM ${BASE}\nRUN true\n`, buildArgs));

/** 5 levels: 1 base, then x10 per level until `total` (as plan-bench's), each FROM a parent of the level above. */
function layeredCatalog(total: number): Image[] {
  const sizes = [1, 10, 100, 1000];
  sizes.push(Math.max(0, total - sizes.reduce((a, b) => a + b, 0)));
  const out: Image[] = [];
  let above: string[] = [];
  for (const [level, size] of sizes.entries()) {
    const row = Array.from({ length: size }, (_, i) => `l${level}-i${i}`);
    row.forEach((name, i) => out.push(image(name, level === 0 ? "FROM debian:bookworm-slim\n" : `FROM ${REG}/bench/${above[i % above.length]!}:v1\nRUN true\n`)));
    above = row;
  }
  return out;
}

/** Stored directly, as apply stores them: the bench measures waves, not N applies. */
async function store(redis: Redis, ks: Keyspace, images: readonly Image[]): Promise<void> {
  const now = new Date().toISOString();
  for (let i = 0; i < images.length; i += 1000) {
    const pipeline = redis.pipeline();
    for (const img of images.slice(i, i + 1000)) {
      const entry = prepareEntry("bench", img);
      pipeline.hset(`${ks.bullPrefix}:catalog:images`, imageId("bench", img.metadata.name), JSON.stringify({ ...entry, createdAt: now, updatedAt: now, generation: 1 }));
    }
    await pipeline.exec();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function p95(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] ?? NaN;
}

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;

/** CPU ms of the Redis server (INFO cpu), for deltas. */
async function redisCpuNow(redis: Redis): Promise<number> {
  const info = await redis.info("cpu");
  const field = (name: string) => Number(new RegExp(`^used_cpu_${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? 0);
  return (field("user") + field("sys")) * 1000;
}

/** CPU ms of this process and of the Redis server, for deltas. */
async function cpuNow(redis: Redis): Promise<number> {
  const redisMs = await redisCpuNow(redis);
  const own = process.cpuUsage();
  return (own.user + own.system) / 1000 + redisMs;
}

/** Wall ms per phase of the wave steps timed (--phases): the deps' IO calls, each wrapped where it is called. */
const phaseMs = new Map<string, number>();
/** CPU ms of each timed step (this process + Redis), of Redis alone, and of its baseline addBulk, for --phases. */
const stepCpus: number[] = [];
const stepRedisCpu: number[] = [];
const bulkCpus: number[] = [];
/** Only the steps pair() times count. */
let timing = false;

function timed<T extends object, K extends keyof T & string>(name: string, target: T, method: K): void {
  const original = target[method] as unknown as (...a: unknown[]) => Promise<unknown>;
  (target as Record<string, unknown>)[method] = async (...a: unknown[]) => {
    const t = performance.now();
    try {
      return await original.apply(target, a);
    } finally {
      if (timing) phaseMs.set(name, (phaseMs.get(name) ?? 0) + performance.now() - t);
    }
  };
}

function withPhases(deps: RunnerDeps): RunnerDeps {
  timed("catalog read (plan)", deps.catalog, "catalog");
  timed("catalog getMany", deps.catalog, "getMany");
  timed("findIdempotentMany", deps.store, "findIdempotentMany");
  timed("queue addBulk", deps.queue as Queue, "addBulk");
  timed("BuildStore.createMany", deps.store, "createMany");
  timed("WaveStore.save", deps.waves, "save");
  return deps;
}

/** Forgets what a warm-up pair added to the --phases figures. */
function discardPhases(): void {
  phaseMs.clear();
  for (const list of [stepCpus, stepRedisCpu, bulkCpus]) list.length = 0;
}

function printPhases(what: string, stepRuns: readonly number[]): void {
  const total = stepRuns.reduce((a, b) => a + b, 0) / stepRuns.length;
  const phases = [...phaseMs].map(([name, ms]) => [name, ms / stepRuns.length] as const);
  const io = phases.reduce((a, [, ms]) => a + ms, 0);
  console.log(`  phases, mean ms per ${what} (of ${total.toFixed(0)}): ${phases.map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(", ")}, rest (in-process) ${(total - io).toFixed(1)}`);
  console.log(`  CPU, median ms per ${what}: ${median(stepCpus).toFixed(0)} (Redis ${median(stepRedisCpu).toFixed(0)}); its addBulk ${median(bulkCpus).toFixed(0)}`);
  discardPhases();
}

/**
 * Times `step` and a bare addBulk of `payloads` back to back: wall ms of each and the addBulk / step
 * ratios (wall, CPU). `payloads` a function: the step runs first, and the addBulk takes what it gives then.
 */
async function pair(
  redis: Redis,
  baseline: Queue,
  payloads: readonly QueuedBuild[] | (() => Promise<readonly QueuedBuild[]>),
  step: () => Promise<unknown>,
): Promise<{ bulkMs: number; stepMs: number; wall: number; cpu: number }> {
  const bulk = async (list: readonly QueuedBuild[]) => {
    const cpu = await cpuNow(redis);
    const t = performance.now();
    await baseline.addBulk(list.map((p) => ({ name: BUILD_JOB_NAME, data: p, opts: buildJobOptions(p) })));
    return { ms: performance.now() - t, cpu: (await cpuNow(redis)) - cpu };
  };
  const timedStep = async () => {
    const redisBefore = await redisCpuNow(redis);
    const cpu = await cpuNow(redis);
    timing = true;
    const t = performance.now();
    await step().finally(() => (timing = false));
    const ms = performance.now() - t;
    const used = (await cpuNow(redis)) - cpu;
    // INFO itself costs Redis a little; the same in both figures.
    stepRedisCpu.push((await redisCpuNow(redis)) - redisBefore);
    return { ms, cpu: used };
  };
  let b: { ms: number; cpu: number };
  let st: { ms: number; cpu: number };
  if (typeof payloads === "function") {
    st = await timedStep();
    b = await bulk(await payloads());
  } else {
    b = await bulk(payloads);
    st = await timedStep();
  }
  stepCpus.push(st.cpu);
  bulkCpus.push(b.cpu);
  return { bulkMs: b.ms, stepMs: st.ms, wall: b.ms / st.ms, cpu: b.cpu / st.cpu };
}

/** The payloads of the entries a wave step queued, under new ids: what the baseline addBulk adds. */
async function entryPayloads(queue: Queue, doc: WaveDoc): Promise<QueuedBuild[]> {
  const ids = doc.wave.nodes.filter((n) => n.state === "queued").map((n) => doc.builds[n.id]!.buildId);
  const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
  return jobs.map((job) => ({ ...(job!.data as QueuedBuild), buildId: newBuildId() }));
}

function runnerDeps(redis: Redis, ks: Keyspace, queue: Queue): RunnerDeps {
  return {
    store: new BuildStore({ redis, keyspace: ks, source: "/bench" }),
    queue,
    redis,
    ks,
    tagPolicy: "allow-latest",
    catalog: new CatalogStore(redis, ks),
    waves: new WaveStore(redis, ks),
    logger: createLogger({ name: "bench", level: "silent" }),
  };
}

async function dryRun(redis: Redis): Promise<void> {
  const ks = keyspace(uniquePrefix());
  const images = layeredCatalog(PLAN_IMAGES);
  await store(redis, ks, images);
  const deps = { catalog: new CatalogStore(redis, ks) };
  const times: number[] = [];
  let nodes = 0;
  let levels = 0;
  for (let run = 0; run < RUNS; run++) {
    const t = performance.now();
    const { result } = await planRebuild(deps, { kind: "admin" }, { base: "l0-i0" });
    times.push(performance.now() - t);
    if (!result.ok) throw new Error(result.message);
    nodes = result.plan.nodes.length;
    levels = result.plan.levels.length;
  }
  console.log(`dry run: ${images.length} images stored, planned from Redis: ${nodes} nodes in ${levels} levels; first ${times[0]!.toFixed(0)} ms (every image parsed), median ${median(times).toFixed(0)} ms (goal < 1000 ms)`);
  await redis.del(`${ks.bullPrefix}:catalog:images`);
}

async function enqueueAndCoordinate(redis: Redis): Promise<void> {
  const ks = keyspace(uniquePrefix());
  const queue = new Queue(ks.buildQueue, { connection: redis, prefix: ks.bullPrefix });
  const baseline = new Queue(`${ks.buildQueue}-baseline`, { connection: redis, prefix: ks.bullPrefix });
  try {
    const images = flatCatalog(IMAGES);
    await store(redis, ks, images);
    const deps = runnerDeps(redis, ks, queue);
    if (PHASES) withPhases(deps);
    // Pairs measured back to back (a fresh wave, then the baseline of its entries' payloads), median of RUNS:
    // the machine is shared, and a pair sees the same load.
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    const bulkRuns: number[] = [];
    const waveRuns: number[] = [];
    // The step split where the new wave's first write returns: creating the wave (plan, first write), then enqueueing its first level.
    const createRuns: number[] = [];
    const enqueueRatios: number[] = [];
    let stepStart = 0;
    let created = 0;
    const save = deps.waves.save.bind(deps.waves);
    deps.waves.save = async (...a) => {
      const saved = await save(...a);
      if (a[0].version === 0) created = performance.now();
      return saved;
    };
    let doc: WaveDoc | undefined;
    for (let run = -WARMUP; run < RUNS; run++) {
      // The same payloads as the step's entries (pinned requests, wave origins), under new ids.
      const payloads = () => entryPayloads(queue, doc!);
      const r = await pair(redis, baseline, payloads, async () => {
        stepStart = performance.now();
        doc = await startRebuild(deps, { startedBy: "bench", scope: { kind: "tenant", tenant: "bench" }, trigger: { base: BASE, digest: digest(1) }, options: { maxInFlight: IN_FLIGHT } });
      });
      if (run < 0) {
        discardPhases();
        continue;
      }
      bulkRuns.push(r.bulkMs);
      waveRuns.push(r.stepMs);
      ratios.push(r.wall);
      cpuRatios.push(r.cpu);
      createRuns.push(created - stepStart);
      enqueueRatios.push(r.bulkMs / (r.stepMs - (created - stepStart)));
    }
    const queued = doc!.wave.nodes.filter((n) => n.state === "queued").length;
    console.log(`enqueue: ${IMAGES} images in one level, maxInFlight ${IN_FLIGHT}; median of ${RUNS} pairs after ${WARMUP} not counted`);
    console.log(`  first step: ${queued} builds pinned, submitted and the wave written in ${median(waveRuns).toFixed(0)} ms; bare addBulk of the same ${queued} payloads ${median(bulkRuns).toFixed(0)} ms`);
    console.log(`  ratio addBulk / wave step (goal >= 0.5): wall ${median(ratios).toFixed(2)} (runs ${ratios.map((r) => r.toFixed(2)).join(" ")}), CPU ${median(cpuRatios).toFixed(2)} (runs ${cpuRatios.map((r) => r.toFixed(2)).join(" ")})`);
    console.log(`  of which creating the wave (plan, first write) ${median(createRuns).toFixed(0)} ms; addBulk / the rest, enqueueing its first level: wall ${median(enqueueRatios).toFixed(2)} (runs ${enqueueRatios.map((r) => r.toFixed(2)).join(" ")})`);
    if (PHASES) printPhases("first step", waveRuns);

    // Feed the outcomes back in batches, as the coordinator does from the stream.
    let current = doc!;
    let fed = 0;
    const cpu = process.cpuUsage();
    const t = performance.now();
    for (let round = 0; round < 10 * IMAGES && current.state === "running"; round++) {
      const inFlight = current.wave.nodes.filter((n) => n.state === "queued").slice(0, 100);
      if (inFlight.length === 0) break;
      current = (await driveWave(
        deps,
        current.id,
        inFlight.map((n, i) => ({ id: n.id, attempt: n.attempt, type: "succeeded" as const, digest: digest(fed + i + 2) })),
      ))!;
      fed += inFlight.length;
    }
    const feedMs = performance.now() - t;
    const used = process.cpuUsage(cpu);
    console.log(`coordinator: ${fed} outcomes in batches of 100 -> wave ${current.state} in ${feedMs.toFixed(0)} ms; CPU ${((used.user + used.system) / 1000 / Math.max(1, fed)).toFixed(2)} ms per node (this process, Redis excluded)`);
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await baseline.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await baseline.close();
  }
}

/**
 * A level after the first: the base is the wave's first step, and the step
 * timed is the one its success starts, which queues maxInFlight images of
 * the next level (submitLevel and the wave write with its links and events).
 */
async function enqueueLevel(redis: Redis): Promise<void> {
  const ks = keyspace(uniquePrefix());
  const queue = new Queue(ks.buildQueue, { connection: redis, prefix: ks.bullPrefix });
  const baseline = new Queue(`${ks.buildQueue}-baseline`, { connection: redis, prefix: ks.bullPrefix });
  try {
    const children = Array.from({ length: IMAGES }, (_, i) => image(`lvl-${i}`, `FROM ${REG}/bench/lvl-base:v1\nRUN true\n`));
    await store(redis, ks, [image("lvl-base", "FROM debian:bookworm-slim\n"), ...children]);
    const deps = runnerDeps(redis, ks, queue);
    if (PHASES) withPhases(deps);
    const runs: { bulkMs: number; stepMs: number; wall: number; cpu: number }[] = [];
    let queued = 0;
    for (let run = -WARMUP; run < RUNS; run++) {
      const started = await startRebuild(deps, { startedBy: "bench", scope: { kind: "tenant", tenant: "bench" }, trigger: { base: "lvl-base" }, options: { maxInFlight: IN_FLIGHT } });
      const base = started.wave.nodes.find((n) => n.state === "queued");
      if (base === undefined || started.plan.levels.length !== 2) throw new Error(`the level wave planned ${started.plan.levels.length} levels`);
      let doc: WaveDoc | undefined;
      const payloads = () => entryPayloads(queue, doc!);
      const r = await pair(redis, baseline, payloads, async () => (doc = await driveWave(deps, started.id, [{ id: base.id, attempt: base.attempt, type: "succeeded", digest: digest(run + WARMUP + 2) }])));
      if (run < 0) {
        discardPhases();
        continue;
      }
      runs.push(r);
      queued = doc!.wave.nodes.filter((n) => n.state === "queued").length;
    }
    const ratios = runs.map((r) => r.wall);
    const cpuRatios = runs.map((r) => r.cpu);
    console.log(`  next level: ${queued} builds of a level after the first (its parent's success fed in) pinned, submitted and the wave written in ${median(runs.map((r) => r.stepMs)).toFixed(0)} ms; bare addBulk of its ${queued} entries' payloads (after it) ${median(runs.map((r) => r.bulkMs)).toFixed(0)} ms`);
    console.log(`  ratio addBulk / level step (goal >= 0.5): wall ${median(ratios).toFixed(2)} (runs ${ratios.map((r) => r.toFixed(2)).join(" ")}), CPU ${median(cpuRatios).toFixed(2)} (runs ${cpuRatios.map((r) => r.toFixed(2)).join(" ")})`);
    if (PHASES) printPhases("level step", runs.map((r) => r.stepMs));
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await baseline.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await baseline.close();
  }
}

/** p95 queue wait (submit -> record leaves `queued`) of INTERACTIVE builds; with a wave of `waveImages` bulk builds holding the slots first. */
async function interactiveWait(redisUrl: string, waveImages: number): Promise<number> {
  // Wave builds run ~60 s and hold their slots; interactive ones ~1 s (kubesim at 100x).
  const sim = await startKubeSim({
    speed: 100,
    startDelayMs: 1_000,
    scenario: [
      { match: { args: "MODE=bulk" }, attempts: [{ succeed: { afterMs: 6_000_000 } }] },
      { match: { args: "MODE=interactive" }, attempts: [{ succeed: { afterMs: 100_000 } }] },
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
  const queue = new Queue(ks.buildQueue, { connection: conn, prefix: ks.bullPrefix });
  const deps = runnerDeps(conn, ks, queue);
  const service = new WorkerService({ config, logger: createLogger({ name: "bench", level: "error" }), kubeConfig: sim.kubeConfig, http: false });
  try {
    await service.start();
    if (waveImages > 0) {
      await store(conn, ks, flatCatalog(waveImages, { MODE: "bulk" }));
      // maxInFlight at its maximum: the wave alone would fill the fleet many times over.
      const wave = await startRebuild(deps, { startedBy: "bench", scope: { kind: "tenant", tenant: "bench" }, trigger: { base: BASE, digest: digest(1) }, options: { maxInFlight: MAX_MAX_IN_FLIGHT } });
      if (wave.plan.nodes.length !== waveImages) throw new Error(`the wave planned ${wave.plan.nodes.length} nodes, not ${waveImages}`);
      const deadline = Date.now() + 60_000;
      while (service.worker.runningByLane().bulk < SLOTS - service.worker.reservedSlots() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    }
    const request = parseBuildRequest(
      { context: { type: "volume", claimName: "kaniko-workspace", path: "b" }, destinations: [`${REG}/bench/interactive:v1`], priority: "interactive", buildArgs: { MODE: "interactive" } },
      { tagPolicy: "allow-latest" },
    );
    const submitted: { id: string; at: number }[] = [];
    for (let i = 0; i < INTERACTIVE; i++) {
      const res = await submitBuild({ store: deps.store, queue, fairShare: new FairShare(conn, ks) }, { tenant: "team-b", request });
      if (res.created) submitted.push({ id: res.record.id, at: Date.now() });
    }
    const waits = new Map<string, number>();
    const deadline = Date.now() + 120_000;
    while (waits.size < submitted.length && Date.now() < deadline) {
      for (const s of submitted) {
        if (waits.has(s.id)) continue;
        const state = (await deps.store.get(s.id))?.state;
        if (state !== undefined && state !== "queued") waits.set(s.id, Date.now() - s.at);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    if (waits.size < submitted.length) throw new Error(`only ${waits.size} of ${submitted.length} interactive builds started in 120 s`);
    return p95([...waits.values()]);
  } finally {
    await service.stop();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    conn.disconnect();
    await sim.close();
  }
}

async function main(): Promise<void> {
  const server = await startRedis();
  // As the rebuild coordinator's connection (no auto-pipelining: see coordinator.ts).
  const redis = createWorkerConnection(server.url);
  await waitForReady(redis);
  try {
    // A size of 0 skips that part.
    if (PLAN_IMAGES > 0) await dryRun(redis);
    if (IMAGES > 0) {
      await enqueueAndCoordinate(redis);
      await enqueueLevel(redis);
    }
    if (WAVE_IMAGES > 0) {
      const idle = await interactiveWait(server.url, 0);
      const during = await interactiveWait(server.url, WAVE_IMAGES);
      console.log(`interactive queue wait p95: idle fleet ${idle} ms, during a ${WAVE_IMAGES}-node wave (maxInFlight ${MAX_MAX_IN_FLIGHT}) ${during} ms`);
      console.log(`  ratio ${(during / Math.max(idle, 1)).toFixed(2)}x (goal <= 1.5x; ${SLOTS} slots, ${INTERACTIVE} reserved for interactive)`);
    }
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
