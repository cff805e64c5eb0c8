import { hostname } from "node:os";
import {
  BuildQueues,
  type BuildStore,
  createPauseLedger,
  createWorkerConnection,
  createWorkerRegistry,
  fleetKeys,
  keyspace,
  waitForReady,
  type WorkerConfig,
  type Logger,
  type Redis,
} from "@buildfleet/shared";
import type { KubeConfig } from "./k8s/kubeconfig.js";
import { createK8sApi, type K8sApi } from "./k8s/client.js";
import { renderBuildJob, type RenderOptions } from "./kaniko/render-job.js";
import { BuildWorker } from "./queue/build-worker.js";
import { StartGate } from "./builds/start-gate.js";
import { JobTracker } from "./tracking/job-tracker.js";
import { HealthServer } from "./http/health-server.js";
import { LogCollector } from "./logs/log-collector.js";
import { MeteredBuildStore } from "./metrics/metered-store.js";
import { cachedReader, readQueueDepth } from "./metrics/queue-depth.js";
import { createWorkerMetrics, type WorkerMetrics } from "./metrics/worker-metrics.js";
import { WorkerPresence, defaultWorkerId } from "./fleet/presence.js";
import { WebhookDispatcher } from "./webhooks/dispatcher.js";

/**
 * Composes one worker process: Redis connections, the build store, the shared
 * Job/Pod watch, the BullMQ worker, cancel signals and health endpoints.
 * `start()` and `stop()` are idempotent; `stop()` is bounded.
 */

export interface WorkerServiceOptions {
  config: WorkerConfig;
  logger: Logger;
  kubeConfig: KubeConfig;
  /** Override for tests: a Kubernetes adapter built elsewhere. */
  k8s?: K8sApi;
  /** Listen for /healthz and /readyz (default true). */
  http?: boolean;
  /** Tracker tuning for tests (watch inactivity, resync). */
  tracker?: { inactivityTimeoutMs?: number; resyncIntervalMs?: number; podStatusGraceMs?: number };
  stalledIntervalMs?: number;
  /** Tuning for tests: at most this many tenant label values (default 50), queue depth cache (default 5 s). */
  metrics?: { maxTenants?: number; queueCacheMs?: number };
  /** Fleet registry id (default: host name and pid). */
  workerId?: string;
  /** Heartbeat interval of the fleet registry (default 5 s). */
  heartbeatMs?: number;
  /** Deliver webhooks from this process (default: config.webhooks.delivery). */
  webhooks?: boolean;
}

export const DEFAULT_BUILD_RESOURCES: RenderOptions["defaultResources"] = {
  requests: { cpu: "500m", memory: "1Gi" },
  limits: { cpu: "1", memory: "2Gi" },
};

export class WorkerService {
  readonly store: BuildStore;
  readonly tracker: JobTracker;
  readonly worker: BuildWorker;
  readonly metrics: WorkerMetrics;
  readonly presence: WorkerPresence;
  private readonly redis: Redis;
  private readonly queueConnection: Redis;
  private readonly subscriber: Redis;
  /** Reads queue depth for /metrics only (on the store connection: nothing blocking). */
  private readonly metricsQueues: BuildQueues;
  private readonly health: HealthServer;
  private readonly logs: LogCollector | undefined;
  private readonly webhooks: WebhookDispatcher | undefined;
  private readonly logger: Logger;
  /** Created here (not passed in): its keep-alive connections are closed on stop. */
  private ownedK8s: K8sApi | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private started: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  port: number | undefined;

  constructor(private readonly options: WorkerServiceOptions) {
    const { config } = options;
    this.logger = options.logger.child({ component: "worker" });
    const ks = keyspace(config.redis.prefix);
    // Auto-pipelining: the commands of one event-loop turn (a burst of Job
    // completions, log lines of many builds) go out in one write, not one
    // syscall each. Nothing blocking runs on this connection.
    this.redis = createWorkerConnection(config.redis.url, { connectionName: "buildfleet-worker-store", enableAutoPipelining: true });
    this.queueConnection = createWorkerConnection(config.redis.url, { connectionName: "buildfleet-worker-queue" });
    this.subscriber = createWorkerConnection(config.redis.url, { connectionName: "buildfleet-worker-cancel" });
    for (const conn of [this.redis, this.queueConnection, this.subscriber]) {
      conn.on("error", (err: Error) => this.logger.warn({ err: { message: err.message } }, "redis connection error"));
    }
    this.metrics = createWorkerMetrics(options.metrics?.maxTenants !== undefined ? { maxTenants: options.metrics.maxTenants } : {});
    let k8s: K8sApi;
    if (options.k8s) k8s = options.k8s;
    else {
      k8s = createK8sApi(options.kubeConfig, {
        namespace: config.builds.namespace,
        requestTimeoutMs: config.kubernetes.requestTimeoutMs,
        maxSockets: config.kubernetes.maxConnections,
        observe: (call) => this.metrics.onK8sCall(call),
      });
      this.ownedK8s = k8s;
    }
    this.store = new MeteredBuildStore({ redis: this.redis, keyspace: ks, source: `/buildfleet/worker/${hostname()}` }, (record) =>
      this.metrics.onBuildTransition(record),
    );
    const pauseLedger = createPauseLedger(this.redis, ks);
    this.tracker = new JobTracker({
      api: k8s,
      logger: this.logger.child({ component: "tracker" }),
      inactivityTimeoutMs: options.tracker?.inactivityTimeoutMs ?? config.worker.watchInactivityMs,
      resyncIntervalMs: options.tracker?.resyncIntervalMs ?? config.worker.resyncIntervalMs,
      observer: this.metrics.tracker,
      ...(options.tracker?.podStatusGraceMs !== undefined ? { podStatusGraceMs: options.tracker.podStatusGraceMs } : {}),
    });
    const renderOptions: RenderOptions = {
      namespace: config.builds.namespace,
      executorImage: config.kaniko.image,
      ttlSecondsAfterFinished: config.kaniko.jobTtlSeconds,
      pushRetry: config.kaniko.pushRetry,
      defaultResources: DEFAULT_BUILD_RESOURCES,
    };
    this.logs = config.worker.captureLogs
      ? new LogCollector({
          k8s,
          redis: this.redis,
          keyspace: ks,
          logger: this.logger.child({ component: "logs" }),
          maxLines: config.worker.maxLogLines,
          observer: this.metrics.logs,
        })
      : undefined;
    const workerId = options.workerId ?? defaultWorkerId();
    const registry = createWorkerRegistry(this.redis, ks);
    // As many Job creates at once as the Kubernetes client has connections (see start-gate.ts);
    // kept here so the metrics can read it at scrape time.
    const starts = new StartGate(config.kubernetes.maxConnections);
    this.worker = new BuildWorker({
      connection: this.queueConnection,
      keyspace: ks,
      store: this.store,
      deps: {
        k8s,
        tracker: this.tracker,
        render: (build) => renderBuildJob(build, renderOptions),
        pausedMs: (fromMs, toMs) => pauseLedger.pausedMs(fromMs, toMs),
        starts,
        ...(this.logs ? { observer: this.logs } : {}),
      },
      logger: this.logger,
      concurrency: config.worker.concurrency,
      reservedInteractive: config.worker.reservedInteractive,
      // The reservation is a share of the fleet's slots, from the registry: a running worker's
      // concurrency, a quiet one's in-flight builds only (it takes nothing new), a gone one's nothing.
      fleetSlots: async () => {
        const others = (await registry.list(Date.now())).filter((w) => w.id !== workerId);
        return others.reduce((n, w) => n + (w.state === "running" ? w.capacity : w.state === "quiet" ? w.inFlight : 0), config.worker.concurrency);
      },
      bulkAgingMs: config.worker.bulkAgingMs,
      globalConcurrency: config.worker.globalConcurrency,
      lockDurationMs: config.worker.lockDurationMs,
      maxStalledCount: config.worker.maxStalledCount,
      onAttemptFailed: (final) => this.metrics.onAttemptFailed(final),
      ...(options.stalledIntervalMs !== undefined ? { stalledIntervalMs: options.stalledIntervalMs } : {}),
    });
    this.presence = new WorkerPresence({
      id: workerId,
      registry,
      worker: this.worker,
      capacity: config.worker.concurrency,
      logger: this.logger,
      ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
    });
    const readiness = async (): Promise<Record<string, boolean>> => ({
      redis: this.redis.status === "ready",
      watches: this.tracker.isLive(),
      queue: this.worker.isRunning(),
    });
    this.metricsQueues = new BuildQueues({ connection: this.redis, keyspace: ks });
    this.metricsQueues.onError((err: Error) => this.logger.warn({ err: { message: err.message } }, "metrics queue reader error"));
    const metricsQueues = this.metricsQueues;
    this.metrics.bind({
      inFlight: () => this.worker.inFlightBuilds().length,
      concurrency: config.worker.concurrency,
      ready: async () => Object.values(await readiness()).every(Boolean),
      watchStatus: () => this.tracker.watchStatus(),
      startGate: () => ({ ...starts.stats(), size: starts.size }),
      queueDepth: cachedReader(() => readQueueDepth(metricsQueues, (lo, hi) => this.redis.zcount(metricsQueues.redisKey("prioritized"), lo, hi)), options.metrics?.queueCacheMs ?? 5_000),
    });
    this.webhooks =
      (options.webhooks ?? config.webhooks.delivery)
        ? new WebhookDispatcher({
            redisUrl: config.redis.url,
            prefix: config.redis.prefix,
            logger: options.logger,
            settings: config.webhooks,
            // Within the shutdown bound: attempts still open after it are left to their leases.
            stopGraceMs: Math.min(config.webhooks.timeoutMs, Math.floor(config.worker.shutdownTimeoutMs * 0.8)),
          })
        : undefined;
    this.health = new HealthServer({
      live: () => true,
      ready: readiness,
      metrics: async () => ({ contentType: this.metrics.registry.contentType, text: await this.metrics.registry.metrics() }),
      state: () => this.presence.state(),
    });
  }

  start(): Promise<void> {
    this.started ??= this.doStart();
    return this.started;
  }

  private async doStart(): Promise<void> {
    const { config } = this.options;
    await waitForReady(this.redis, 15_000);
    this.tracker.start();
    // Adopted builds must see their Jobs' current state before following them.
    if (!(await this.tracker.waitForSync(15_000))) this.logger.warn("Job/Pod watch not synced yet; continuing");
    await this.worker.start();
    await this.webhooks?.start();
    const ks = keyspace(config.redis.prefix);
    const control = fleetKeys(ks).control;
    this.subscriber.on("message", (channel: string, message: string) => {
      if (channel === control) {
        if (message === this.presence.id) void this.presence.sync();
        return;
      }
      if (this.worker.cancel(message)) this.logger.info({ buildId: message }, "cancel requested");
    });
    await this.subscriber.subscribe(ks.cancelChannel, control);
    await this.presence.start();
    // A cancel message can be missed (reconnect): sweep the in-flight builds' records now and then.
    this.sweepTimer = setInterval(() => void this.sweepCancels(), config.worker.resyncIntervalMs);
    this.sweepTimer.unref();
    if (this.options.http ?? true) {
      this.port = await this.health.listen(config.worker.httpPort, config.worker.httpHost);
    }
    this.logger.info(
      { concurrency: config.worker.concurrency, namespace: config.builds.namespace, httpPort: this.port },
      "worker started",
    );
  }

  private async sweepCancels(): Promise<void> {
    for (const buildId of this.worker.inFlightBuilds()) {
      try {
        const record = await this.store.get(buildId);
        if (record?.cancelRequestedAt) this.worker.cancel(buildId);
      } catch (err) {
        this.logger.warn({ buildId, err: { message: (err as Error).message } }, "cancel sweep failed");
        return;
      }
    }
  }

  /** Stops intake, hands in-flight builds back (their Jobs keep running), closes everything. */
  stop(): Promise<void> {
    this.stopped ??= this.doStop();
    return this.stopped;
  }

  private async doStop(): Promise<void> {
    const timeoutMs = this.options.config.worker.shutdownTimeoutMs;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.presence.stop();
    // In parallel with the hand-back of builds: both are bounded by the same shutdown timeout.
    const webhooksStopped = this.webhooks?.stop();
    await this.worker.stop(Math.floor(timeoutMs * 0.8));
    this.logs?.stop();
    await webhooksStopped;
    this.tracker.stop();
    this.ownedK8s?.close?.();
    await this.health.close();
    await this.metricsQueues.close().catch(() => undefined);
    for (const conn of [this.subscriber, this.queueConnection, this.redis]) {
      conn.disconnect();
    }
    this.logger.info("worker stopped");
  }
}
