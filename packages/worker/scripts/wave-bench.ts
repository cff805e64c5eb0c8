// Rebuild-wave enqueue and coordinator cost. A synthetic catalog of N images
// FROM one base reference (one level), stored as apply would store them.
// 1. A wave's first step (plan, pin, submit maxInFlight builds, write the wave)
//    against a bare BullMQ addBulk of the same payloads, in the same run.
// 2. Coordinator CPU per node: the outcomes of those builds fed back in
//    batches of 100 (as from the events stream), each batch a wave step that
//    also submits the next nodes. Prints figures; asserts nothing.
//
//   pnpm --filter @buildfleet/worker bench:wave [--images 2000]   (REDIS_URL or a local redis-server)
import { parseArgs } from "node:util";
import { Queue } from "bullmq";
import { BUILD_JOB_NAME, BuildStore, CatalogStore, MAX_MAX_IN_FLIGHT, WaveStore, buildJobOptions, createLogger, createWorkerConnection, driveWave, imageId, keyspace, prepareEntry, startRebuild, waitForReady, type RunnerDeps } from "@buildfleet/shared";
import { newBuildId, parseImage } from "@buildfleet/contract";
import { startRedis, uniquePrefix } from "@buildfleet/testkit";

const { values: args } = parseArgs({ options: { images: { type: "string", default: "2000" } } });
const IMAGES = Number(args.images);
const IN_FLIGHT = Math.min(IMAGES, MAX_MAX_IN_FLIGHT);

const image = (i: number) =>
  parseImage({
    apiVersion: "buildfleet.dev/v1",
    kind: "Image",
    metadata: { name: `app-${i}` },
    spec: {
      build: {
        context: { type: "inline", files: {} },
        dockerfile: { inline: "FROM registry.internal:5000/bench/base:v1\nRUN true\n" },
        destinations: [`registry.internal:5000/bench/app-${i}:v1`],
      },
    },
  });

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;

async function main(): Promise<void> {
  const server = await startRedis();
  const prefix = uniquePrefix();
  const ks = keyspace(prefix);
  // As the coordinator connects: auto-pipelining, so the parallel submissions of one step share writes.
  const redis = createWorkerConnection(server.url, { enableAutoPipelining: true });
  await waitForReady(redis);
  const queue = new Queue(ks.buildQueue, { connection: redis, prefix: ks.bullPrefix });
  const baseline = new Queue(`${ks.buildQueue}-baseline`, { connection: redis, prefix: ks.bullPrefix });
  try {
    // Stored directly (what apply stores): the bench measures waves, not N applies.
    const now = new Date().toISOString();
    const images = Array.from({ length: IMAGES }, (_, i) => image(i));
    const pipeline = redis.pipeline();
    for (const img of images) {
      const entry = prepareEntry("bench", img);
      pipeline.hset(`${ks.bullPrefix}:catalog:images`, imageId("bench", img.metadata.name), JSON.stringify({ ...entry, createdAt: now, updatedAt: now, generation: 1 }));
    }
    await pipeline.exec();
    const deps: RunnerDeps = {
      store: new BuildStore({ redis, keyspace: ks, source: "/bench" }),
      queue,
      redis,
      ks,
      tagPolicy: "allow-latest",
      catalog: new CatalogStore(redis, ks),
      waves: new WaveStore(redis, ks),
      logger: createLogger({ name: "bench", level: "silent" }),
    };

    // Baseline: the same number of payloads through one addBulk.
    const payloads = images.slice(0, IN_FLIGHT).map((img) => ({ buildId: newBuildId(), tenant: "bench", request: img.spec.build, submittedAt: now }));
    let t = performance.now();
    await baseline.addBulk(payloads.map((p) => ({ name: BUILD_JOB_NAME, data: p, opts: buildJobOptions(p) })));
    const bulkMs = performance.now() - t;

    t = performance.now();
    const doc = await startRebuild(deps, {
      startedBy: "bench",
      scope: { kind: "tenant", tenant: "bench" },
      trigger: { base: "registry.internal:5000/bench/base:v1", digest: digest(1) },
      options: { maxInFlight: IN_FLIGHT },
    });
    const waveMs = performance.now() - t;
    const queued = doc.wave.nodes.filter((n) => n.state === "queued").length;

    // Feed the outcomes back in batches, as the coordinator does from the stream.
    let current = doc;
    let fed = 0;
    const cpu = process.cpuUsage();
    t = performance.now();
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

    console.log(`images: ${IMAGES} in one level; maxInFlight ${IN_FLIGHT}`);
    console.log(`first step: ${queued} builds pinned, submitted and the wave written in ${waveMs.toFixed(0)} ms`);
    console.log(`bare addBulk of the same ${payloads.length} payloads: ${bulkMs.toFixed(0)} ms`);
    console.log(`ratio (addBulk time / wave step time, target >= 0.5): ${(bulkMs / waveMs).toFixed(2)}`);
    console.log(`coordinator: ${fed} outcomes in batches of 100 -> wave ${current.state} in ${feedMs.toFixed(0)} ms; CPU ${((used.user + used.system) / 1000 / Math.max(1, fed)).toFixed(2)} ms per node (this process, Redis excluded)`);
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await baseline.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await baseline.close();
    redis.disconnect();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
