import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { PRIORITIES, type BuildRecord } from "@buildfleet/contract";
import type { RestCallSample } from "../k8s/rest.js";
import type { LogObserver } from "../logs/log-collector.js";
import type { TrackerObserver, WatchedKind } from "../tracking/job-tracker.js";
import { BoundedLabel } from "./bounded-label.js";
import { sampleOf } from "./build-samples.js";
import { labelsOfCall } from "./k8s-call-labels.js";
import { QUEUE_DEPTH_STATES, type QueueDepth } from "./queue-depth.js";

/**
 * Prometheus metrics of one worker process, on its own Registry (not
 * prom-client's global one: several workers in one test process do not
 * collide). Names follow the API's (`buildfleet_api_*`): `buildfleet_worker_`
 * prefix, base units (seconds), `_total` counters. Every label has a bounded
 * set of values: lanes, outcomes, failure reasons, verbs, status codes, and at
 * most `maxTenants` tenant names (the rest count as `_other`); never a build
 * id, Job name or pod name.
 */

export interface WorkerMetricsSources {
  inFlight(): number;
  concurrency: number;
  ready(): Promise<boolean>;
  watchStatus(): Record<WatchedKind, boolean>;
  /** Cached queue read; rejects when Redis is unreachable (the queue gauges are then left out). */
  queueDepth(): Promise<QueueDepth>;
  /** The Job-create start gate (builds/start-gate.ts): slots held, builds waiting, its size (K8S_MAX_CONNECTIONS). */
  startGate(): { active: number; waiting: number; size: number };
}

export interface WorkerMetrics {
  registry: Registry;
  /** Feed of every applied build transition (the record it left). */
  onBuildTransition(record: BuildRecord): void;
  onK8sCall(call: RestCallSample): void;
  tracker: TrackerObserver;
  logs: LogObserver;
  onAttemptFailed(final: boolean): void;
  /** Attaches the scrape-time sources (they exist only once the service is composed). */
  bind(sources: WorkerMetricsSources): void;
}

export const DEFAULT_MAX_TENANT_LABELS = 50;

const MISNAMED_DEFAULT_GAUGES = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

// Builds wait seconds to hours in the queue and run a minute to an hour.
const QUEUE_WAIT_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
const BUILD_DURATION_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
const K8S_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LOG_LAG_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createWorkerMetrics(options: { maxTenants?: number } = {}): WorkerMetrics {
  const registry = new Registry();
  const registers = [registry];
  const tenants = new BoundedLabel(options.maxTenants ?? DEFAULT_MAX_TENANT_LABELS);
  let sources: WorkerMetricsSources | undefined;
  // Process and Node.js metrics (memory, CPU, event-loop lag) under their usual names, minus the
  // three gauges prom-client names `_total`: promtool rejects them (counter suffix on a gauge), and
  // nodejs_active_handles / nodejs_active_resources say the same without the suffix.
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULT_GAUGES) registry.removeSingleMetric(name);

  const started = new Counter({
    name: "buildfleet_worker_builds_started_total",
    help: "Builds whose Kubernetes Job this worker created or adopted first, by lane and tenant",
    labelNames: ["lane", "tenant"] as const,
    registers,
  });
  const finished = new Counter({
    name: "buildfleet_worker_builds_finished_total",
    help: "Builds this worker recorded as finished, by lane, tenant, outcome (succeeded, failed, cancelled) and failure reason (none unless failed)",
    labelNames: ["lane", "tenant", "outcome", "reason"] as const,
    registers,
  });
  const retries = new Counter({
    name: "buildfleet_worker_build_retries_total",
    help: "Build attempts that failed and were retried by the Job's backoffLimit, by lane",
    labelNames: ["lane"] as const,
    registers,
  });
  const queueWait = new Histogram({
    name: "buildfleet_worker_build_queue_wait_seconds",
    help: "Time from submission until the worker created the build's Job, by lane",
    labelNames: ["lane"] as const,
    buckets: QUEUE_WAIT_BUCKETS,
    registers,
  });
  const duration = new Histogram({
    name: "buildfleet_worker_build_duration_seconds",
    help: "Time from the Job's creation until the build finished, by lane and outcome",
    labelNames: ["lane", "outcome"] as const,
    buckets: BUILD_DURATION_BUCKETS,
    registers,
  });
  const attemptFailures = new Counter({
    name: "buildfleet_worker_queue_attempt_failures_total",
    help: "Queue attempts that failed on an infrastructure error (Redis, Kubernetes API); final=true when no retry follows",
    labelNames: ["final"] as const,
    registers,
  });
  const k8sRequests = new Counter({
    name: "buildfleet_worker_kubernetes_requests_total",
    help: "Kubernetes API calls by verb, resource and HTTP status code (error: no answer)",
    labelNames: ["verb", "resource", "code"] as const,
    registers,
  });
  const k8sDuration = new Histogram({
    name: "buildfleet_worker_kubernetes_request_duration_seconds",
    help: "Kubernetes API call latency by verb and resource (watches: until the stream opened)",
    labelNames: ["verb", "resource"] as const,
    buckets: K8S_BUCKETS,
    registers,
  });
  const relists = new Counter({
    name: "buildfleet_worker_watch_relists_total",
    help: "Full lists of the shared Job/Pod watch, by kind and reason (start, resync, gone, retry)",
    labelNames: ["kind", "reason"] as const,
    registers,
  });
  const restarts = new Counter({
    name: "buildfleet_worker_watch_restarts_total",
    help: "Restarts of the shared Job/Pod watch, by kind and reason (closed is routine; empty, inactivity, gone, error are not)",
    labelNames: ["kind", "reason"] as const,
    registers,
  });
  const logLines = new Counter({
    name: "buildfleet_worker_log_lines_total",
    help: "Kaniko log lines captured into Redis",
    registers,
  });
  const logLag = new Histogram({
    name: "buildfleet_worker_log_capture_lag_seconds",
    help: "Time from a log chunk arriving from the API server until its lines were stored in Redis",
    buckets: LOG_LAG_BUCKETS,
    registers,
  });
  const logReconnects = new Counter({
    name: "buildfleet_worker_log_stream_reconnects_total",
    help: "Log streams that ended early and were reopened",
    registers,
  });

  new Gauge({
    name: "buildfleet_worker_builds_in_flight",
    help: "Builds this worker follows right now",
    registers,
    collect() {
      if (sources) this.set(sources.inFlight());
    },
  });
  new Gauge({
    name: "buildfleet_worker_concurrency",
    help: "Builds this worker follows at most (WORKER_CONCURRENCY)",
    registers,
    collect() {
      if (sources) this.set(sources.concurrency);
    },
  });
  // The start gate: a burst of dispatches queues here, rendered Jobs not yet sent, so a waiting
  // count that stays up means creates are bottlenecked on K8S_MAX_CONNECTIONS or a slow API server.
  new Gauge({
    name: "buildfleet_worker_job_creates_in_flight",
    help: "Builds holding a Job-create slot: Job rendered, create sent or about to be, no answer from the API server yet",
    registers,
    collect() {
      if (sources) this.set(sources.startGate().active);
    },
  });
  new Gauge({
    name: "buildfleet_worker_job_creates_waiting",
    help: "Builds waiting for a Job-create slot (all K8S_MAX_CONNECTIONS slots held)",
    registers,
    collect() {
      if (sources) this.set(sources.startGate().waiting);
    },
  });
  new Gauge({
    name: "buildfleet_worker_job_create_slots",
    help: "Job creates this worker has outstanding at most (K8S_MAX_CONNECTIONS)",
    registers,
    collect() {
      if (sources) this.set(sources.startGate().size);
    },
  });
  new Gauge({
    name: "buildfleet_worker_ready",
    help: "1 when the worker is ready (Redis, Job/Pod watches and queue worker up; as /readyz), else 0",
    registers,
    async collect() {
      this.set(sources ? Number(await sources.ready().catch(() => false)) : 0);
    },
  });
  new Gauge({
    name: "buildfleet_worker_watch_up",
    help: "1 when the shared watch of this kind is listed and not failing beyond the inactivity bound, else 0",
    labelNames: ["kind"] as const,
    registers,
    collect() {
      if (!sources) return;
      for (const [kind, up] of Object.entries(sources.watchStatus())) this.set({ kind }, Number(up));
    },
  });

  // Queue depth: one cached read feeds all three gauges of a scrape.
  const readDepth = async (): Promise<QueueDepth | undefined> => (sources ? sources.queueDepth().catch(() => undefined) : undefined);
  new Gauge({
    name: "buildfleet_worker_queue_jobs",
    help: "Builds in the queue by state (waiting, active, delayed), read at scrape time (cached a few seconds)",
    labelNames: ["state"] as const,
    registers,
    async collect() {
      const depth = await readDepth();
      this.reset();
      if (depth) for (const state of QUEUE_DEPTH_STATES) this.set({ state }, depth.jobs[state]);
    },
  });
  new Gauge({
    name: "buildfleet_worker_queue_waiting_jobs",
    help: "Builds waiting in the queue by lane, read at scrape time (cached a few seconds)",
    labelNames: ["lane"] as const,
    registers,
    async collect() {
      const depth = await readDepth();
      this.reset();
      if (depth) for (const lane of PRIORITIES) this.set({ lane }, depth.waitingByLane[lane]);
    },
  });
  new Gauge({
    name: "buildfleet_worker_queue_paused",
    help: "1 when the build queue is paused, else 0, read at scrape time (cached a few seconds)",
    registers,
    async collect() {
      const depth = await readDepth();
      this.reset();
      if (depth) this.set(Number(depth.paused));
    },
  });

  return {
    registry,
    onBuildTransition(record) {
      const sample = sampleOf(record);
      if (sample === undefined) return;
      const tenant = tenants.of(sample.tenant);
      switch (sample.kind) {
        case "started":
          started.inc({ lane: sample.lane, tenant });
          if (sample.queueWaitSeconds !== undefined) queueWait.observe({ lane: sample.lane }, sample.queueWaitSeconds);
          return;
        case "retrying":
          retries.inc({ lane: sample.lane });
          return;
        case "finished":
          finished.inc({ lane: sample.lane, tenant, outcome: sample.outcome, reason: sample.reason });
          if (sample.durationSeconds !== undefined) duration.observe({ lane: sample.lane, outcome: sample.outcome }, sample.durationSeconds);
          return;
      }
    },
    onK8sCall(call) {
      const labels = labelsOfCall(call);
      k8sRequests.inc(labels);
      k8sDuration.observe({ verb: labels.verb, resource: labels.resource }, call.seconds);
    },
    tracker: {
      relist: (kind, reason) => relists.inc({ kind, reason }),
      watchRestart: (kind, reason) => restarts.inc({ kind, reason }),
    },
    logs: {
      stored(lines, lagSeconds) {
        logLines.inc(lines);
        logLag.observe(lagSeconds);
      },
      reconnect: () => logReconnects.inc(),
    },
    onAttemptFailed: (final) => attemptFailures.inc({ final: String(final) }),
    bind(s) {
      sources = s;
    },
  };
}
