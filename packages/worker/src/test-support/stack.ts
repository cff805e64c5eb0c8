import { Queue } from "bullmq";
import { startKubeSim, type KubeSim, type KubeSimOptions } from "@buildfleet/kubesim";
import { BuildQueues, BuildStore, EventStream, FairShare, createLogger, createWorkerConnection, keyspace, loadConfig, requestCancel, submitBuild, type BuildfleetConfig, type Keyspace } from "@buildfleet/shared";
import { newBuildId, parseBuildRequest, type BuildEvent, type BuildRecord, type QueuedBuild } from "@buildfleet/contract";
import type { RedisTestContext } from "@buildfleet/testkit";
import { WorkerService, type WorkerServiceOptions } from "../service.js";

/**
 * A worker against real Redis and kubesim, with a producer side (submit,
 * cancel) and event-driven waits. Everything it opens is tracked by the Redis
 * harness, so a test that leaks fails.
 */
export interface Stack {
  sim: KubeSim;
  config: BuildfleetConfig;
  ks: Keyspace;
  store: BuildStore;
  /** The queue port the producer side (submit, cancel) uses, as the API does. */
  queues: BuildQueues;
  /** For assertions on the queue's contents only. */
  queue: Queue;
  startWorker(overrides?: Partial<WorkerServiceOptions>): Promise<WorkerService>;
  /** Submits with fair share between tenants (as the API does); `weight` is the tenant's weight. */
  submit(request: unknown, tenant?: string, weight?: number): Promise<BuildRecord>;
  cancel(buildId: string): Promise<BuildRecord>;
  /** Resolves with the build's events once one matches; rejects after `timeoutMs`. */
  waitForEvent(buildId: string, match: (e: BuildEvent) => boolean, timeoutMs?: number): Promise<BuildEvent[]>;
  waitForTerminal(buildId: string, timeoutMs?: number): Promise<BuildRecord>;
  jobsFor(buildId: string): Promise<string[]>;
  podsFor(buildId: string): Promise<string[]>;
}

export const TERMINAL_EVENTS = new Set(["build.succeeded", "build.failed", "build.cancelled"]);

export async function startStack(
  redis: RedisTestContext,
  options: { kubesim?: KubeSimOptions; env?: Record<string, string> } = {},
): Promise<Stack> {
  const sim = await startKubeSim({ speed: 100, defaultRunMs: 20_000, startDelayMs: 1_000, ...options.kubesim });
  redis.track({ close: () => sim.close() });
  const config = loadConfig({
    REDIS_URL: redis.url,
    BUILDFLEET_PREFIX: redis.prefix,
    BUILD_NAMESPACE: "buildfleet",
    BUILDFLEET_TAG_POLICY: "allow-latest",
    WORKER_HTTP_HOST: "127.0.0.1",
    WORKER_HTTP_PORT: "0",
    LOCK_DURATION_MS: "5000",
    SHUTDOWN_TIMEOUT_MS: "5000",
    RESYNC_INTERVAL_MS: "2000",
    LOG_LEVEL: process.env["TEST_LOG_LEVEL"] ?? "silent",
    ...options.env,
  });
  const ks = keyspace(config.redis.prefix);
  const conn = redis.track(createWorkerConnection(redis.url));
  const store = new BuildStore({ redis: conn, keyspace: ks, source: "/test/producer" });
  const queues = new BuildQueues({ connection: conn, keyspace: ks });
  redis.track({ close: () => queues.close() });
  const queue = redis.track(new Queue(ks.buildQueue, { connection: conn, prefix: ks.bullPrefix }));
  const fairShare = new FairShare(conn, ks);
  const reader = new EventStream(redis.track(createWorkerConnection(redis.url)), ks);
  const logger = createLogger({ name: "test-worker", level: config.log.level });

  const stack: Stack = {
    sim,
    config,
    ks,
    store,
    queues,
    queue,
    async startWorker(overrides = {}) {
      const service = new WorkerService({
        config,
        logger,
        kubeConfig: sim.kubeConfig,
        tracker: { inactivityTimeoutMs: 5_000, resyncIntervalMs: 3_000, podStatusGraceMs: 2_000 },
        stalledIntervalMs: 1_000,
        ...overrides,
      });
      redis.track({ close: () => service.stop() });
      await service.start();
      return service;
    },
    async submit(request, tenant = "team-a", weight) {
      const res = await submitBuild({ store, queue: queues, fairShare }, { tenant, ...(weight !== undefined ? { weight } : {}), request: parseBuildRequest(request, { tagPolicy: config.builds.tagPolicy }) });
      if (!res.created) throw new Error("expected a new build");
      return res.record;
    },
    cancel: (buildId) => requestCancel({ store, queue: queues, redis: conn, keyspace: ks }, buildId, "test"),
    async waitForEvent(buildId, match, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let cursor = "0";
      for (;;) {
        const events = await store.events(buildId);
        if (events.some(match)) return events;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(`timed out waiting for an event of build ${buildId}; got ${events.map((e) => e.type).join(", ")}`);
        }
        // Block on the stream until something new arrives (bounded), then look again.
        const entries = await reader.follow(cursor === "0" ? "$" : cursor, { blockMs: Math.min(left, 1_000) });
        cursor = entries.at(-1)?.id ?? cursor;
      }
    },
    async waitForTerminal(buildId, timeoutMs) {
      await stack.waitForEvent(buildId, (e) => TERMINAL_EVENTS.has(e.type), timeoutMs);
      const record = await store.get(buildId);
      if (!record) throw new Error(`build ${buildId} vanished`);
      return record;
    },
    async jobsFor(buildId) {
      return sim.control.store
        .list("jobs", "buildfleet", { labelSelector: `buildfleet.dev/build-id=${buildId}` })
        .items.map((j) => j.metadata.name ?? "");
    },
    async podsFor(buildId) {
      return sim.control.store
        .list("pods", "buildfleet", { labelSelector: `buildfleet.dev/build-id=${buildId}` })
        .items.map((p) => p.metadata.name ?? "");
    },
  };
  return stack;
}

/** A Dockerfile-only mirror build: the smallest valid request. */
export function mirrorRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    context: { type: "inline", files: {} },
    dockerfile: { inline: "FROM busybox:latest\n" },
    destinations: ["registry.internal:5000/mirror/busybox:1.36", "registry.internal:5000/mirror/busybox:latest"],
    ...overrides,
  };
}

/** A PVC-context build (no ConfigMap): one create per build. */
export function volumeRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    context: { type: "volume", claimName: "kaniko-workspace", path: "my-build" },
    destinations: ["registry.internal:5000/team/app:v1.0.0"],
    registryCredentials: { secretName: "regcred" },
    ...overrides,
  };
}

/** A queue entry of a Dockerfile-only build of team-a, for tests that run runBuild without a queue. */
export function queuedBuild(): QueuedBuild {
  const request = parseBuildRequest({
    context: { type: "inline", files: {} },
    dockerfile: { inline: "FROM busybox:latest" },
    destinations: ["registry.internal:5000/team/app:v1"],
  });
  return { buildId: newBuildId(), tenant: "team-a", request, submittedAt: new Date().toISOString() };
}
