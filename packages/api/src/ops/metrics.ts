import type { BuildQueues, Redis } from "@buildfleet/shared";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { createQueueDepthReader, type DepthSample } from "./queue-depth.js";

/**
 * Prometheus metrics of one API instance. Each app has its own Registry (not
 * prom-client's global one), so several apps in one process — tests — do not
 * collide. Queue counts are read from Redis when scraped, not on a timer.
 */

export const QUEUE_STATES = ["waiting", "active", "delayed", "prioritized", "completed", "failed"] as const;
export type QueueCounts = Record<(typeof QUEUE_STATES)[number], number>;

export const SUBMIT_OUTCOMES = ["created", "idempotent", "invalid", "forbidden", "error"] as const;
export type SubmitOutcome = (typeof SUBMIT_OUTCOMES)[number];

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<"method" | "route" | "status">;
  duration: Histogram<"method" | "route" | "status">;
  submits: Counter<"outcome">;
}

export async function readQueueCounts(queues: Pick<BuildQueues, "counts">): Promise<QueueCounts> {
  const counts = await queues.counts();
  return Object.fromEntries(QUEUE_STATES.map((s) => [s, counts[s]])) as QueueCounts;
}

/** Without `redis`, the lane/tenant depth gauge is left out. */
export function createMetrics(queues: BuildQueues, redis?: Redis): ApiMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: "buildfleet_api_requests_total",
    help: "HTTP requests answered, by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "buildfleet_api_request_duration_seconds",
    help: "Time to answer an HTTP request (for streams: until the stream ended)",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const submits = new Counter({
    name: "buildfleet_api_submits_total",
    help: "Build submissions by outcome (created, idempotent, invalid, forbidden, error)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  new Gauge({
    name: "buildfleet_api_queue_jobs",
    help: "Builds in the queue by BullMQ state, read at scrape time",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      try {
        const counts = await readQueueCounts(queues);
        for (const state of QUEUE_STATES) this.set({ state }, counts[state]);
      } catch {
        // Redis unreachable: leave the gauge out of this scrape rather than fail /metrics.
        this.reset();
      }
    },
  });
  if (redis) registerQueueDepth(registry, createQueueDepthReader(redis, queues));
  return { registry, requests, duration, submits };
}

function registerQueueDepth(registry: Registry, readDepth: () => Promise<DepthSample[]>): void {
  new Gauge({
    name: "buildfleet_api_queue_tenant_jobs",
    help: "Builds in the queue by lane, tenant (at most 50, the rest as _other) and state (waiting, active, delayed), read at scrape time (cached 5 s)",
    labelNames: ["lane", "tenant", "state"] as const,
    registers: [registry],
    async collect() {
      const samples = await readDepth().catch(() => undefined);
      // Reset first: a tenant whose builds all left the queue must not keep its last count.
      this.reset();
      for (const s of samples ?? []) this.set({ lane: s.lane, tenant: s.tenant, state: s.state }, s.jobs);
    },
  });
}
