// The one-shard ceiling. Every key of a fleet shares one {hash tag}, so one
// Redis core (one cluster shard) carries the whole fleet. This measures what
// one build costs that core: submits (queue entry + record + event +
// idempotency key, as the API writes them) and state transitions (a
// compare-and-set of the record plus its event, as the worker writes them),
// by Redis' own CPU time (INFO cpu) over a bounded run. The ceiling printed is
// operations per second of Redis CPU: what the shard takes before its one core
// is saturated, independent of how fast this client process can drive it.
// Prints figures; asserts nothing.
//
//   pnpm --filter @buildfleet/worker bench:shard [--builds 3000] [--concurrency 64]   (REDIS_URL or a local redis-server)
import { parseArgs } from "node:util";
import { Worker } from "bullmq";
import { BuildQueues, BuildStore, createWorkerConnection, keyspace, submitBuild, waitForReady, type Redis } from "@buildfleet/shared";
import { parseBuildRequest } from "@buildfleet/contract";
import { scriptArgs, startRedis, uniquePrefix } from "@buildfleet/testkit";
import { failedTransition, startedTransition } from "../src/builds/plan.js";

const { values: args } = parseArgs({
  args: scriptArgs(),
  options: { builds: { type: "string", default: "3000" }, concurrency: { type: "string", default: "64" } },
});
const BUILDS = Math.min(50_000, Number(args.builds));
const CONCURRENCY = Math.min(1_000, Number(args.concurrency));

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info("cpu");
  const field = (name: string): number => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? NaN);
  return field("used_cpu_user") + field("used_cpu_sys");
}

/** Runs `op(i)` for i < n with `concurrency` in flight; wall seconds and Redis CPU seconds. */
async function measure(redis: Redis, n: number, op: (i: number) => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const cpu0 = await redisCpuSeconds(redis);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await op(next++);
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  return { wall, cpu: (await redisCpuSeconds(redis)) - cpu0 };
}

async function main(): Promise<void> {
  const server = await startRedis();
  const ks = keyspace(uniquePrefix());
  // As the API and the worker connect (the store's connection auto-pipelines).
  const redis = createWorkerConnection(server.url, { enableAutoPipelining: true });
  await waitForReady(redis);
  const queues = new BuildQueues({ connection: redis, keyspace: ks });
  const store = new BuildStore({ redis, keyspace: ks, source: "/bench" });
  const request = parseBuildRequest(
    {
      context: { type: "inline", files: { "a.txt": "x" } },
      dockerfile: { inline: "FROM busybox:1.37\nCOPY a.txt /\n" },
      destinations: ["registry.internal:5000/bench/app:v1"],
    },
    { tagPolicy: "allow-latest" },
  );
  try {
    const ids: string[] = [];
    const submits = await measure(redis, BUILDS, async (i) => {
      const res = await submitBuild({ store, queue: queues }, { tenant: "bench", request, idempotencyKey: `k-${i}` });
      if (res.created) ids.push(res.record.id);
    });
    const transitions = await measure(redis, ids.length * 2, async (i) => {
      const id = ids[i >> 1]!;
      if (i % 2 === 0) await store.transition(id, startedTransition(`job-${id}`));
      else await store.transition(id, failedTransition({ reason: "QueueTimeout", message: "bench" }));
    });
    // BullMQ's own share: taking each queue entry and finishing it (a processor that returns at once).
    const takeCpu0 = await redisCpuSeconds(redis);
    const takeT0 = performance.now();
    const workerConn = createWorkerConnection(server.url);
    let finished = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("BullMQ take/finish did not finish within 120 s")), 120_000);
      const worker = new Worker(queues.queueName(), async () => undefined, {
        connection: workerConn,
        prefix: ks.bullPrefix,
        concurrency: CONCURRENCY,
        removeOnComplete: { count: 0 },
      });
      worker.on("completed", () => {
        if (++finished === BUILDS) {
          clearTimeout(timer);
          void worker.close().then(resolve, reject);
        }
      });
    });
    const take = { wall: (performance.now() - takeT0) / 1000, cpu: (await redisCpuSeconds(redis)) - takeCpu0 };
    workerConn.disconnect();
    const info = await redis.info("server");
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? "?";
    const row = (name: string, n: number, m: { wall: number; cpu: number }): string =>
      `${name.padEnd(12)} ${String(n).padStart(7)}  ${(n / m.wall).toFixed(0).padStart(9)}/s  ${((m.cpu / n) * 1e6).toFixed(0).padStart(8)} µs  ${(n / m.cpu).toFixed(0).padStart(10)}/s`;
    console.log(`Redis ${version} (one process, one core), ${CONCURRENCY} operations in flight from one client process`);
    console.log(`${"operation".padEnd(12)} ${"count".padStart(7)}  ${"driven".padStart(11)}  ${"Redis CPU".padStart(11)}  ${"ceiling".padStart(12)}`);
    console.log(row("submit", BUILDS, submits));
    console.log(row("transition", ids.length * 2, transitions));
    console.log(row("take+finish", BUILDS, take));
    // A build is one submit, at least three transitions (starting, running, terminal) and BullMQ's take/finish.
    const perBuild = submits.cpu / BUILDS + (3 * transitions.cpu) / (ids.length * 2) + take.cpu / BUILDS;
    console.log(`one build (1 submit + 3 transitions + take/finish): ${(perBuild * 1e6).toFixed(0)} µs Redis CPU -> at most ${(1 / perBuild).toFixed(0)} builds/s per shard`);
  } finally {
    await queues.obliterate().catch(() => undefined);
    await queues.close();
    redis.disconnect();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
