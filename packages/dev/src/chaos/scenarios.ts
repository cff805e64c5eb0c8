import { startChaosFleet, type ChaosFleet } from "./harness.js";
import { followEvents } from "./sse-follower.js";
import { streamTally, tally, type Tally } from "./tally.js";

/**
 * The fault scenarios. Each is bounded in builds and time, runs on loopback
 * only, and reports per build (tally.ts) rather than asserting: the
 * integration tests assert on the same rows at small size.
 */
export interface ScenarioOptions {
  builds: number;
  /** Bound on the wait for every accepted build to end. */
  timeoutMs: number;
}

export type ScenarioName = "worker-sigkill" | "worker-sigkill-submitting" | "redis-sigkill" | "redis-sigkill-sse" | "kubesim-faults" | "cancel-race";
export const SCENARIOS: readonly ScenarioName[] = [
  "worker-sigkill",
  "worker-sigkill-submitting",
  "redis-sigkill",
  "redis-sigkill-sse",
  "kubesim-faults",
  "cancel-race",
];

async function submitAll(fleet: ChaosFleet, from: number, count: number, concurrency = 32): Promise<string[] & { refused: number }> {
  const ids = Object.assign([] as string[], { refused: 0 });
  let next = from;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < from + count) {
        const id = await fleet.submit(next++);
        if (id !== undefined) ids.push(id);
        // Refused (Redis down): a client backs off before its next request, so submissions span the outage.
        else {
          ids.refused++;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }),
  );
  return ids;
}

/** Bounded wait until `cond()` holds; false on timeout. */
async function until(cond: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/** Two workers share the builds; one is SIGKILLed with its builds in flight; a new worker takes over. */
async function workerSigkill(fleet: ChaosFleet, o: ScenarioOptions): Promise<Tally> {
  const [a] = [await fleet.startWorker(), await fleet.startWorker()];
  const ids = await submitAll(fleet, 0, o.builds);
  await until(async () => (await fleet.countStarted(ids)) >= ids.length / 2, o.timeoutMs);
  if (a?.pid !== undefined) process.kill(a.pid, "SIGKILL");
  await a?.exited;
  const t0 = Date.now();
  await fleet.startWorker();
  const left = o.timeoutMs - (Date.now() - t0);
  const seconds = await fleet.waitAllTerminal(ids, left);
  return tally("worker SIGKILL, 2 workers", await fleet.observe(ids), seconds === undefined ? undefined : (Date.now() - t0) / 1000);
}

/** A worker SIGKILLed while submissions are still arriving (and being taken by both workers). */
async function workerSigkillSubmitting(fleet: ChaosFleet, o: ScenarioOptions): Promise<Tally> {
  const [a] = [await fleet.startWorker(), await fleet.startWorker()];
  const half = Math.floor(o.builds / 2);
  const ids = await submitAll(fleet, 0, half);
  // The second half is being submitted (few submitters, one at a time each) as the kill lands.
  const submitting = submitAll(fleet, half, o.builds - half, 2);
  if (a?.pid !== undefined) process.kill(a.pid, "SIGKILL");
  await a?.exited;
  const t0 = Date.now();
  await fleet.startWorker();
  ids.push(...(await submitting));
  const seconds = await fleet.waitAllTerminal(ids, o.timeoutMs);
  return tally("worker SIGKILL during submission", await fleet.observe(ids), seconds === undefined ? undefined : (Date.now() - t0) / 1000);
}

/** Redis SIGKILLed while builds are queued and running and submissions keep coming, restarted from its AOF. */
async function redisSigkill(fleet: ChaosFleet, o: ScenarioOptions): Promise<Tally> {
  await fleet.startWorker();
  await fleet.startWorker();
  const half = Math.floor(o.builds / 2);
  const ids = await submitAll(fleet, 0, half);
  await until(async () => (await fleet.countStarted(ids)) >= ids.length / 4, o.timeoutMs);
  // Submissions continue across the kill: the ones refused while Redis is down are not accepted.
  const during = submitAll(fleet, half, o.builds - half, 4);
  await new Promise((r) => setTimeout(r, 100));
  await fleet.redis.kill();
  await new Promise((r) => setTimeout(r, 1_000));
  await fleet.redis.start();
  const t0 = Date.now();
  const late = await during;
  ids.push(...late);
  const seconds = await fleet.waitAllTerminal(ids, o.timeoutMs);
  return tally(
    "Redis SIGKILL + restart (AOF everysec)",
    await fleet.observe(ids),
    seconds === undefined ? undefined : (Date.now() - t0) / 1000,
    ids.refused + late.refused,
  );
}

/**
 * An SSE client follows GET /v1/events (API in this process) while Redis is
 * SIGKILLed and restarted under queued and running builds; it reconnects with
 * Last-Event-ID whenever its stream ends or is refused. Afterwards it must
 * hold every event the stream holds for the builds, none twice.
 */
async function redisSigkillSse(fleet: ChaosFleet, o: ScenarioOptions): Promise<Tally> {
  const api = await fleet.startApi();
  const follower = followEvents(api.url, api.token);
  try {
    await fleet.startWorker();
    await fleet.startWorker();
    const half = Math.floor(o.builds / 2);
    const ids = await submitAll(fleet, 0, half);
    await until(async () => (await fleet.countStarted(ids)) >= ids.length / 4, o.timeoutMs);
    const during = submitAll(fleet, half, o.builds - half, 4);
    await new Promise((r) => setTimeout(r, 100));
    await fleet.redis.kill();
    // The client's connection drops too while Redis is down: it must come back through refusals and resume.
    follower.interrupt();
    await new Promise((r) => setTimeout(r, 1_000));
    await fleet.redis.start();
    const t0 = Date.now();
    const late = await during;
    ids.push(...late);
    const seconds = await fleet.waitAllTerminal(ids, o.timeoutMs);
    // The follower has caught up when it holds every entry Redis holds for the builds (bounded).
    const mine = new Set(ids);
    const inRedis = async (): Promise<string[]> => (await fleet.streamEntries()).filter((e) => mine.has(e.buildId)).map((e) => e.id);
    await until(async () => streamTally(await inRedis(), follower.received.map((r) => r.id)).missing === 0, 30_000);
    const stream = streamTally(await inRedis(), follower.received.map((r) => r.id));
    return {
      ...tally(
        "Redis SIGKILL + restart, SSE follower (Last-Event-ID)",
        await fleet.observe(ids),
        seconds === undefined ? undefined : (Date.now() - t0) / 1000,
        ids.refused + late.refused,
      ),
      sseMissing: stream.missing,
      sseDuplicates: stream.duplicates,
      sseConnections: follower.connections,
    };
  } finally {
    follower.stop();
  }
}

/** kubesim: 10 % 5xx on create, 5 % 429 with Retry-After on every verb, dropped watches, forced 410s, a restart. */
async function kubesimFaults(fleet: ChaosFleet, o: ScenarioOptions): Promise<Tally> {
  fleet.sim.control.setFaults({
    seed: 12,
    verbs: {
      create: { errorRate: 0.1, code: 503 },
      "*": { errorRate: 0.05, code: 429, retryAfterSeconds: 1 },
    },
  });
  await fleet.startWorker();
  await fleet.startWorker();
  const t0 = Date.now();
  const ids = await submitAll(fleet, 0, o.builds);
  // Faults on a bounded schedule while the builds run.
  for (let round = 0; round < 6; round++) {
    await new Promise((r) => setTimeout(r, 1_500));
    if (round % 2 === 0) fleet.sim.control.dropWatches();
    else fleet.sim.control.expireNextWatches(4);
    if (round === 3) await fleet.sim.control.restart({ keepState: true });
  }
  fleet.sim.control.clearFaults();
  const seconds = await fleet.waitAllTerminal(ids, o.timeoutMs);
  return tally("kubesim 5xx/429/watch drops/410/restart", await fleet.observe(ids), seconds === undefined ? undefined : (Date.now() - t0) / 1000);
}

/**
 * Two workers; every other build is cancelled while the builds are queued,
 * starting and running — twice, concurrently, as two clients racing would.
 */
async function cancelRace(fleet: ChaosFleet, o: ScenarioOptions): Promise<Tally> {
  await fleet.startWorker();
  await fleet.startWorker();
  const t0 = Date.now();
  const ids = await submitAll(fleet, 0, o.builds);
  const victims = ids.filter((_, i) => i % 2 === 0);
  // A third of the victims at once (most still queued), the rest spread over the next seconds (starting, running).
  const waves = [victims.slice(0, victims.length / 3), victims.slice(victims.length / 3, (2 * victims.length) / 3), victims.slice((2 * victims.length) / 3)];
  for (const wave of waves) {
    await Promise.all(wave.flatMap((id) => [fleet.cancel(id), fleet.cancel(id)]));
    await new Promise((r) => setTimeout(r, 1_500));
  }
  const seconds = await fleet.waitAllTerminal(ids, o.timeoutMs);
  return tally("cancel races, 2 workers", await fleet.observe(ids), seconds === undefined ? undefined : (Date.now() - t0) / 1000);
}

const RUN: Record<ScenarioName, (fleet: ChaosFleet, o: ScenarioOptions) => Promise<Tally>> = {
  "worker-sigkill": workerSigkill,
  "worker-sigkill-submitting": workerSigkillSubmitting,
  "redis-sigkill": redisSigkill,
  "redis-sigkill-sse": redisSigkillSse,
  "kubesim-faults": kubesimFaults,
  "cancel-race": cancelRace,
};

/** Runs one scenario on a fresh fleet and stops it, whatever happens. */
export async function runScenario(name: ScenarioName, o: ScenarioOptions): Promise<Tally> {
  const fleet = await startChaosFleet();
  try {
    return await RUN[name](fleet, o);
  } finally {
    await fleet.stop();
  }
}
