/**
 * End-to-end benchmark (prints figures; asserts nothing).
 *
 *   pnpm exec tsx --conditions=source packages/dev/scripts/api-bench.ts [--quick]
 *
 * On the local stack (API + worker + kubesim + Redis): time from the submit
 * call to the build's `build.started` event arriving over SSE, at 1, 10 and
 * 100 concurrent producers (p50/p95/p99). API submit throughput on its own
 * (inject and loopback HTTP against a validation baseline) is
 * `pnpm --filter @buildfleet/api bench`.
 * Every loop is bounded in count and in time; everything listens on 127.0.0.1.
 */
import { startLocalStack } from "@buildfleet/dev";
import { BuildfleetClient } from "@buildfleet/sdk";
import { startRedis, uniquePrefix } from "@buildfleet/testkit";

const quick = process.argv.includes("--quick");
const PHASE_LIMIT_MS = 60_000;
const LEVELS = [
  { producers: 1, builds: quick ? 10 : 30 },
  { producers: 10, builds: quick ? 50 : 200 },
  { producers: 100, builds: quick ? 100 : 400 },
];

const request = (i: number) => ({
  context: { type: "inline", files: {} },
  dockerfile: { inline: "FROM busybox:latest" },
  destinations: [`registry.internal:5000/bench/busybox:v${i}`],
  labels: { team: "bench" },
});

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Runs `task(i)` for i < count with `concurrency` in flight; stops early at `limitMs`. Returns completed count and seconds. */
async function pool(count: number, concurrency: number, limitMs: number, task: (i: number) => Promise<void>): Promise<{ done: number; seconds: number }> {
  const start = performance.now();
  let next = 0;
  let done = 0;
  const runner = async (): Promise<void> => {
    while (next < count && performance.now() - start < limitMs) {
      const i = next++;
      await task(i);
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, runner));
  return { done, seconds: (performance.now() - start) / 1000 };
}

async function submitToStarted(redisUrl: string): Promise<void> {
  console.log("\n## Submit → build.started, end to end (API + worker + kubesim + Redis)");
  const stack = await startLocalStack({
    redisUrl,
    prefix: uniquePrefix(),
    stateDir: `/tmp/buildfleet-bench-${process.pid}`,
    writeEnvFile: false,
    logLevel: "silent",
    rateLimit: { max: 1_000_000, timeWindowMs: 60_000 },
    // Builds take ~1 s so each level's builds drain before the next level.
    kubesim: { speed: 60, defaultRunMs: 60_000, startDelayMs: 2_000 },
  });
  const client = new BuildfleetClient({ baseUrl: stack.url, token: stack.token });
  const started = new Map<string, number>();
  const finished = new Set<string>();
  let wake: (() => void) | undefined;
  const stop = new AbortController();
  let connected = false;
  const follower = (async () => {
    for await (const e of client.events({ signal: stop.signal })) {
      connected = true;
      if (e.type === "build.started" && !started.has(e.event.subject)) started.set(e.event.subject, performance.now());
      if (e.type === "build.succeeded" || e.type === "build.failed" || e.type === "build.cancelled") finished.add(e.event.subject);
      wake?.();
    }
  })().catch((err: unknown) => console.error("event stream ended:", err));
  // Make sure the SSE subscription is live before timing anything: submit a warm-up build and see its events.
  const warm = await client.submit(request(0));
  await client.waitFor(warm.id, { timeout: 30_000 });
  await until(() => connected && finished.has(warm.id), 30_000);

  console.log("producers   builds   p50 ms   p95 ms   p99 ms   max ms   (started/submitted)");
  let seq = 1;
  for (const level of LEVELS) {
    const submittedAt = new Map<string, number>();
    await pool(level.builds, level.producers, PHASE_LIMIT_MS, async () => {
      const t0 = performance.now();
      const { id } = await client.submit(request(seq++));
      submittedAt.set(id, t0);
    });
    const ids = [...submittedAt.keys()];
    await until(() => ids.every((id) => started.has(id)), PHASE_LIMIT_MS);
    const lat = ids.filter((id) => started.has(id)).map((id) => started.get(id)! - submittedAt.get(id)!).sort((a, b) => a - b);
    console.log(
      `${String(level.producers).padStart(9)}   ${String(ids.length).padStart(6)}   ${[50, 95, 99].map((p) => percentile(lat, p).toFixed(0).padStart(6)).join("   ")}   ${(lat.at(-1) ?? NaN).toFixed(0).padStart(6)}   (${lat.length}/${ids.length})`,
    );
    // Let this level's builds finish so the next level starts from an idle fleet.
    await until(() => ids.every((id) => finished.has(id)), PHASE_LIMIT_MS);
  }
  stop.abort();
  await follower;
  await stack.stop();

  async function until(predicate: () => boolean, limitMs: number): Promise<void> {
    const deadline = performance.now() + limitMs;
    while (!predicate()) {
      const left = deadline - performance.now();
      if (left <= 0) {
        console.log(`  (gave up waiting after ${limitMs} ms)`);
        return;
      }
      // Woken by each event; the timer only bounds the wait.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1_000));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }
}

const redis = await startRedis();
console.log(`# buildfleet API benchmark — Node ${process.version}, Redis ${redis.source}${quick ? ", --quick" : ""}`);
try {
  await submitToStarted(redis.url);
} finally {
  await redis.stop();
}
