// What the queue port costs a submit: submitBuild through BuildQueues against
// submitBuild straight into a BullMQ Queue (the baseline), in one process,
// in interleaved batches, so a shared machine's noise hits both sides alike.
// Prints figures; asserts nothing.
//
//   pnpm --filter @buildfleet/shared bench:port [--count 1000] [--rounds 5] [--concurrency 10]
import { parseArgs } from "node:util";
import { Queue } from "bullmq";
import { scriptArgs, startRedis, uniquePrefix } from "@buildfleet/testkit";
import { parseBuildRequest } from "../src/contract/index.js";
import { BuildStore } from "../src/builds/build-store.js";
import { BuildQueues } from "../src/queue/build-queues.js";
import { submitBuild, type SubmitDeps } from "../src/queue/submit.js";
import { createProducerConnection, waitForReady } from "../src/redis/connections.js";
import { keyspace } from "../src/redis/keyspace.js";

const { values: args } = parseArgs({
  args: scriptArgs(),
  options: { count: { type: "string", default: "1000" }, rounds: { type: "string", default: "5" }, concurrency: { type: "string", default: "10" } },
});
const COUNT = Number(args.count);
const ROUNDS = Number(args.rounds);
const CONCURRENCY = Number(args.concurrency);

const request = parseBuildRequest({
  context: { type: "volume", claimName: "kaniko-workspace", path: "app" },
  destinations: ["registry.internal:5000/bench/app:v1.0.0"],
});

async function batch(deps: SubmitDeps): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < COUNT) {
        next++;
        await submitBuild(deps, { tenant: "bench", request });
      }
    }),
  );
  return COUNT / ((performance.now() - started) / 1000);
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const server = await startRedis();
  const redis = createProducerConnection(server.url);
  await waitForReady(redis);
  const prefixes = [uniquePrefix(), uniquePrefix()] as const;
  const rawKs = keyspace(prefixes[0]);
  const portKs = keyspace(prefixes[1]);
  // The baseline: BullMQ's Queue itself, as every caller held it before the port (bench only).
  const raw = new Queue(rawKs.buildQueue, { connection: redis, prefix: rawKs.bullPrefix });
  const port = new BuildQueues({ connection: redis, keyspace: portKs });
  const rawDeps: SubmitDeps = { store: new BuildStore({ redis, keyspace: rawKs, source: "/bench" }), queue: raw };
  const portDeps: SubmitDeps = { store: new BuildStore({ redis, keyspace: portKs, source: "/bench" }), queue: port };
  try {
    // Warm-up, uncounted: script loading and JIT on both sides.
    await batch(rawDeps);
    await batch(portDeps);
    const rawRates: number[] = [];
    const portRates: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate which side goes first, so neither always runs on a fuller queue.
      if (i % 2 === 0) {
        rawRates.push(await batch(rawDeps));
        portRates.push(await batch(portDeps));
      } else {
        portRates.push(await batch(portDeps));
        rawRates.push(await batch(rawDeps));
      }
    }
    const r = median(rawRates);
    const p = median(portRates);
    console.log(`node ${process.version}, ${COUNT} submits per batch, ${CONCURRENCY} concurrent, ${ROUNDS} interleaved rounds, Redis ${server.source}`);
    console.log(`baseline raw BullMQ Queue: ${r.toFixed(0)} submits/s (rounds ${rawRates.map((x) => x.toFixed(0)).join(", ")})`);
    console.log(`queue port BuildQueues:    ${p.toFixed(0)} submits/s (rounds ${portRates.map((x) => x.toFixed(0)).join(", ")})`);
    console.log(`port / raw: ${(p / r).toFixed(3)}`);
  } finally {
    await port.obliterate().catch(() => undefined);
    await raw.obliterate({ force: true }).catch(() => undefined);
    await port.close();
    await raw.close();
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}*`);
      for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
    }
    await redis.quit();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
