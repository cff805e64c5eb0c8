import { metricValue } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { StartGate } from "../builds/start-gate.js";
import { createWorkerMetrics, type WorkerMetricsSources } from "./worker-metrics.js";

function sourcesWith(gate: StartGate): WorkerMetricsSources {
  return {
    inFlight: () => 0,
    concurrency: 4,
    ready: () => Promise.resolve(true),
    watchStatus: () => ({ jobs: true, pods: true }),
    queueDepth: () => Promise.reject(new Error("no queue in this test")),
    startGate: () => ({ ...gate.stats(), size: gate.size }),
  };
}

describe("worker metrics: Job-create start gate", () => {
  it("reports the gate's held slots, waiters and size at scrape time", async () => {
    const metrics = createWorkerMetrics();
    const gate = new StartGate(2);
    metrics.bind(sourcesWith(gate));
    const held = [await gate.acquire(), await gate.acquire()];
    const waiters = [gate.acquire(), gate.acquire(), gate.acquire()];

    const busy = await metrics.registry.metrics();
    expect(metricValue(busy, "buildfleet_worker_job_creates_in_flight")).toBe(2);
    expect(metricValue(busy, "buildfleet_worker_job_creates_waiting")).toBe(3);
    expect(metricValue(busy, "buildfleet_worker_job_create_slots")).toBe(2);

    // One release hands its slot to the first waiter: still two in flight, one fewer waiting.
    held[0]?.();
    const next = await waiters[0];
    const after = await metrics.registry.metrics();
    expect(metricValue(after, "buildfleet_worker_job_creates_in_flight")).toBe(2);
    expect(metricValue(after, "buildfleet_worker_job_creates_waiting")).toBe(2);

    held[1]?.();
    next?.();
    for (const w of waiters.slice(1)) (await w)();
    const idle = await metrics.registry.metrics();
    expect(metricValue(idle, "buildfleet_worker_job_creates_in_flight")).toBe(0);
    expect(metricValue(idle, "buildfleet_worker_job_creates_waiting")).toBe(0);
  });
});
