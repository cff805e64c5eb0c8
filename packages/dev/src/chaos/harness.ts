import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashToken, startApi, TokenTable } from "@buildfleet/api";
import { startKubeSim, type KubeSim, type KubeSimOptions } from "@buildfleet/kubesim";
import {
  BuildQueues,
  BuildStore,
  createLogger,
  createProducerConnection,
  createWorkerConnection,
  keyspace,
  loadConfig,
  requestCancel,
  submitBuild,
  waitForReady,
  type Redis,
} from "@buildfleet/shared";
import { parseBuildRequest } from "@buildfleet/contract";
import { freeLoopbackPort, uniquePrefix } from "@buildfleet/testkit";
import { startWorkerProcess, type WorkerProcess } from "../worker-process.js";
import { startRestartableRedis, type RestartableRedis } from "./redis-process.js";
import type { ObservedBuild } from "./tally.js";

/** The worker's label naming a Job's build (packages/worker/src/kaniko/labels.ts). */
const LABEL_BUILD_ID = "buildfleet.dev/build-id";

/**
 * One fleet on loopback for a fault scenario: a restartable redis-server,
 * kubesim in this process, worker child processes started as a Deployment
 * runs them, and submissions written as the API writes them (submitBuild).
 */
export interface ChaosFleet {
  readonly redis: RestartableRedis;
  readonly sim: KubeSim;
  readonly workers: WorkerProcess[];
  startWorker(): Promise<WorkerProcess>;
  /** Starts the API in this process on loopback; a read token of the builds' tenant. */
  startApi(): Promise<{ url: string; token: string }>;
  /** Every entry of the events stream now: its stream id and build. */
  streamEntries(): Promise<{ id: string; buildId: string }[]>;
  /** Submits one build; resolves with its id, or undefined when it was not accepted (Redis down). */
  submit(i: number): Promise<string | undefined>;
  /** Cancels a build as the API's DELETE does; resolves with the state it reports. */
  cancel(id: string): Promise<string>;
  /** Bounded wait until every id's record is terminal; seconds taken, undefined on timeout. */
  waitAllTerminal(ids: readonly string[], timeoutMs: number): Promise<number | undefined>;
  /** How many ids have reached `state`-ish progress (started or later). */
  countStarted(ids: readonly string[]): Promise<number>;
  observe(ids: readonly string[]): Promise<ObservedBuild[]>;
  stop(): Promise<void>;
}

export interface ChaosFleetOptions {
  kubesim?: KubeSimOptions;
  workerEnv?: Record<string, string>;
}

const TENANT = "chaos";

const REQUEST = parseBuildRequest(
  {
    context: { type: "inline", files: {} },
    dockerfile: { inline: "FROM busybox:latest\nRUN true\n" },
    destinations: ["registry.internal:5000/chaos/app:v1"],
  },
  { tagPolicy: "allow-latest" },
);

export async function startChaosFleet(options: ChaosFleetOptions = {}): Promise<ChaosFleet> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const redis = await startRestartableRedis();
    cleanups.push(() => redis.stop());
    // kubesim at 20×: a simulated 2-minute build takes about 6 s, long enough to be killed mid-flight.
    const sim = await startKubeSim({ speed: 20, defaultRunMs: 120_000, startDelayMs: 2_000, ...options.kubesim });
    cleanups.push(() => sim.close());
    const dir = await mkdtemp(join(tmpdir(), "buildfleet-chaos-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const kubeconfig = join(dir, "kubeconfig");
    await writeFile(kubeconfig, sim.kubeconfigYaml, { mode: 0o600 });
    const prefix = uniquePrefix();
    const ks = keyspace(prefix);
    // Producer settings (fail fast while Redis is down), as the API's.
    const conn: Redis = createProducerConnection(redis.url, { connectionName: "buildfleet-chaos", retryStrategy: () => 200 });
    conn.on("error", () => {});
    cleanups.push(async () => conn.disconnect());
    await waitForReady(conn);
    const reader: Redis = createWorkerConnection(redis.url, { connectionName: "buildfleet-chaos-reader" });
    reader.on("error", () => {});
    cleanups.push(async () => reader.disconnect());
    const store = new BuildStore({ redis: conn, keyspace: ks, source: "/buildfleet/chaos" });
    const readStore = new BuildStore({ redis: reader, keyspace: ks, source: "/buildfleet/chaos" });
    const queues = new BuildQueues({ connection: conn, keyspace: ks });
    cleanups.push(() => queues.close());
    // Connection errors while Redis is killed are the scenario, not news: BullMQ prints them without a listener.
    queues.onError(() => {});

    const workers: WorkerProcess[] = [];
    const startWorker = async (): Promise<WorkerProcess> => {
      const port = await freeLoopbackPort();
      const w = await startWorkerProcess({
        env: {
          REDIS_URL: redis.url,
          BUILDFLEET_PREFIX: prefix,
          KUBECONFIG: kubeconfig,
          BUILD_NAMESPACE: "buildfleet",
          WORKER_HTTP_HOST: "127.0.0.1",
          WORKER_HTTP_PORT: String(port),
          LOG_LEVEL: "warn",
          SHUTDOWN_TIMEOUT_MS: "5000",
          RESYNC_INTERVAL_MS: "2000",
          LOCK_DURATION_MS: "5000",
          WORKER_CONCURRENCY: "500",
          ...options.workerEnv,
        },
        healthPort: port,
      });
      workers.push(w);
      cleanups.push(() => w.stop(7_000));
      return w;
    };

    const startApiInProcess = async (): Promise<{ url: string; token: string }> => {
      const token = `chaos-read-${prefix}`;
      const config = loadConfig({ REDIS_URL: redis.url, BUILDFLEET_PREFIX: prefix, API_HOST: "127.0.0.1", API_PORT: "0", LOG_LEVEL: "silent" });
      // Reconnecting followers make a request every few hundred ms while Redis is down: no rate limit in the way.
      const tokens = new TokenTable([
        { tokenSha256: hashToken(token), tenant: TENANT, scopes: ["read"], registries: [], secrets: [], claims: [], rateLimit: { max: 1_000_000, timeWindowMs: 60_000 } },
      ]);
      const api = await startApi(config, createLogger({ name: "chaos-api", level: "silent" }), { tokens });
      cleanups.push(() => api.close(5_000));
      return { url: api.url, token };
    };

    const states = async (ids: readonly string[]): Promise<(string | undefined)[]> =>
      Promise.all(ids.map(async (id) => (await readStore.get(id))?.state));

    return {
      redis,
      sim,
      workers,
      startWorker,
      startApi: startApiInProcess,
      streamEntries: async () =>
        (await reader.xrange(ks.events, "-", "+")).map(([id, fields]) => {
          const event = JSON.parse(fields[fields.indexOf("event") + 1] ?? "{}") as { subject?: string };
          return { id, buildId: event.subject ?? "" };
        }),
      submit: async (i) => {
        try {
          const res = await submitBuild({ store, queue: queues }, { tenant: TENANT, request: REQUEST, idempotencyKey: `chaos-${i}` });
          return res.created ? res.record.id : res.buildId;
        } catch {
          return undefined;
        }
      },
      cancel: async (id) => (await requestCancel({ store, queue: queues, redis: conn, keyspace: ks }, id, "chaos")).state,
      waitAllTerminal: async (ids, timeoutMs) => {
        const t0 = Date.now();
        while (Date.now() - t0 < timeoutMs) {
          const s = await states(ids).catch(() => []);
          if (s.length === ids.length && s.every((x) => x === "succeeded" || x === "failed" || x === "cancelled")) return (Date.now() - t0) / 1000;
          await new Promise((r) => setTimeout(r, 250));
        }
        return undefined;
      },
      countStarted: async (ids) => (await states(ids)).filter((s) => s !== undefined && s !== "queued").length,
      observe: async (ids) => {
        const jobs = new Map<string, number>();
        for (const j of sim.control.store.list("jobs", "buildfleet").items) {
          const id = j.metadata.labels?.[LABEL_BUILD_ID];
          if (id !== undefined) jobs.set(id, (jobs.get(id) ?? 0) + 1);
        }
        return Promise.all(
          ids.map(async (id) => ({
            id,
            state: (await readStore.get(id))?.state,
            jobs: jobs.get(id) ?? 0,
            events: (await readStore.events(id)).map((e) => ({ type: e.type, sequence: e.sequence })),
          })),
        );
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
