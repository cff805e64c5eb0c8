import { checkMetricsText, metricValue, skipWithoutPromtool, useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import type { WorkerService } from "../service.js";
import { startStack, volumeRequest } from "../test-support/stack.js";

async function scrape(service: WorkerService): Promise<{ contentType: string; text: string }> {
  const res = await fetch(`http://127.0.0.1:${service.port ?? 0}/metrics`, { signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  return { contentType: res.headers.get("content-type") ?? "", text: await res.text() };
}

describe("worker /metrics", () => {
  const redis = useRedis();

  it("counts real builds by lane, outcome and failure reason, with their durations and Kubernetes calls", async () => {
    const stack = await startStack(redis, {
      kubesim: { scenario: [{ match: { args: "broken" }, attempts: [{ exit: { code: 2, afterMs: 1_000 } }] }] },
    });
    const service = await stack.startWorker({ http: true });
    const before = (await scrape(service)).text;
    expect(metricValue(before, "buildfleet_worker_builds_started_total")).toBeUndefined();
    expect(metricValue(before, "buildfleet_worker_ready")).toBe(1);

    const ok = await stack.submit(volumeRequest({ priority: "interactive" }));
    const broken = await stack.submit(volumeRequest({ retries: 1, buildArgs: { MODE: "broken" } }));
    expect((await stack.waitForTerminal(ok.id)).state).toBe("succeeded");
    expect((await stack.waitForTerminal(broken.id)).state).toBe("failed");

    const { contentType, text } = await scrape(service);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metricValue(text, "buildfleet_worker_builds_started_total", { lane: "interactive", tenant: "team-a" })).toBe(1);
    expect(metricValue(text, "buildfleet_worker_builds_started_total", { lane: "normal", tenant: "team-a" })).toBe(1);
    expect(metricValue(text, "buildfleet_worker_builds_finished_total", { lane: "interactive", outcome: "succeeded", reason: "none" })).toBe(1);
    expect(metricValue(text, "buildfleet_worker_builds_finished_total", { lane: "normal", outcome: "failed", reason: "BackoffLimitExceeded" })).toBe(1);
    expect(metricValue(text, "buildfleet_worker_build_retries_total", { lane: "normal" })).toBe(1);
    expect(metricValue(text, "buildfleet_worker_build_duration_seconds_count", { outcome: "succeeded" })).toBe(1);
    expect(metricValue(text, "buildfleet_worker_build_duration_seconds_sum", { outcome: "failed" })).toBeGreaterThan(0);
    expect(metricValue(text, "buildfleet_worker_build_queue_wait_seconds_count")).toBe(2);
    expect(metricValue(text, "buildfleet_worker_builds_in_flight")).toBe(0);
    // Two Job creates answered 201 by the API server; the shared watches were listed and opened.
    expect(metricValue(text, "buildfleet_worker_kubernetes_requests_total", { verb: "create", resource: "jobs", code: "201" })).toBe(2);
    expect(metricValue(text, "buildfleet_worker_kubernetes_requests_total", { verb: "list", resource: "pods", code: "200" })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, "buildfleet_worker_kubernetes_requests_total", { verb: "watch", resource: "jobs", code: "200" })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, "buildfleet_worker_kubernetes_request_duration_seconds_count", { verb: "create", resource: "jobs" })).toBe(2);
    expect(metricValue(text, "buildfleet_worker_watch_relists_total", { kind: "jobs", reason: "start" })).toBe(1);
    expect(metricValue(text, "buildfleet_worker_watch_up", { kind: "pods" })).toBe(1);
    expect(metricValue(text, "buildfleet_worker_kubernetes_requests_total", { verb: "get", resource: "pods/log", code: "200" })).toBeGreaterThanOrEqual(2);
    expect(metricValue(text, "buildfleet_worker_log_lines_total")).toBeGreaterThan(0);
    expect(metricValue(text, "buildfleet_worker_log_capture_lag_seconds_count")).toBeGreaterThan(0);
    expect(metricValue(text, "buildfleet_worker_queue_jobs", { state: "waiting" })).toBe(0);
    // Never a build id, Job name or pod name as a label value.
    for (const id of [ok.id, broken.id]) expect(text).not.toContain(id);
  });

  it("reads queue depth by lane and the paused flag at scrape time", async () => {
    const stack = await startStack(redis);
    const service = await stack.startWorker({ http: true, metrics: { queueCacheMs: 0 } });
    await stack.queue.pause();
    await stack.submit(volumeRequest({ priority: "bulk" }));
    await stack.submit(volumeRequest({ priority: "bulk" }));
    await stack.submit(volumeRequest({ priority: "interactive" }));

    const { text } = await scrape(service);

    expect(metricValue(text, "buildfleet_worker_queue_paused")).toBe(1);
    expect(metricValue(text, "buildfleet_worker_queue_jobs", { state: "waiting" })).toBe(3);
    expect(metricValue(text, "buildfleet_worker_queue_waiting_jobs", { lane: "bulk" })).toBe(2);
    expect(metricValue(text, "buildfleet_worker_queue_waiting_jobs", { lane: "interactive" })).toBe(1);
    expect(metricValue(text, "buildfleet_worker_queue_waiting_jobs", { lane: "normal" })).toBe(0);
    expect(metricValue(text, "buildfleet_worker_builds_started_total")).toBeUndefined();
  });

  it("shows builds waiting in the Job-create start gate while the API server is slow to answer creates", async () => {
    const stack = await startStack(redis, { env: { K8S_MAX_CONNECTIONS: "1" } });
    // Each Job create takes 1.5 s: with one slot, one build holds it and the others wait their turn.
    stack.sim.control.setFaults({ verbs: { create: { latencyMs: 1_500, resources: ["jobs"] } } });
    // Queued before the worker starts, so it takes all three at once and the state below lasts a whole create.
    const builds = [await stack.submit(volumeRequest()), await stack.submit(volumeRequest()), await stack.submit(volumeRequest())];
    const service = await stack.startWorker({ http: true });

    await expect
      .poll(async () => {
        const { text } = await scrape(service);
        return ["in_flight", "waiting"].map((g) => metricValue(text, `buildfleet_worker_job_creates_${g}`));
      }, { timeout: 10_000, interval: 100 })
      .toEqual([1, 2]);
    expect(metricValue((await scrape(service)).text, "buildfleet_worker_job_create_slots")).toBe(1);

    for (const b of builds) expect((await stack.waitForTerminal(b.id)).state).toBe("succeeded");
    const { text } = await scrape(service);
    expect(metricValue(text, "buildfleet_worker_job_creates_in_flight")).toBe(0);
    expect(metricValue(text, "buildfleet_worker_job_creates_waiting")).toBe(0);
  });

  it("keeps the tenant label bounded: tenants past the limit count as _other", async () => {
    const stack = await startStack(redis);
    const service = await stack.startWorker({ http: true, metrics: { maxTenants: 1 } });
    const a = await stack.submit(volumeRequest(), "team-a");
    const b = await stack.submit(volumeRequest(), "team-b");
    await stack.waitForTerminal(a.id);
    await stack.waitForTerminal(b.id);

    const { text } = await scrape(service);

    expect(metricValue(text, "buildfleet_worker_builds_finished_total", { outcome: "succeeded" })).toBe(2);
    expect(metricValue(text, "buildfleet_worker_builds_finished_total", { tenant: "_other" })).toBe(1);
    expect((metricValue(text, "buildfleet_worker_builds_finished_total", { tenant: "team-a" }) ?? 0) + (metricValue(text, "buildfleet_worker_builds_finished_total", { tenant: "team-b" }) ?? 0)).toBe(1);
  });

  it.skipIf(skipWithoutPromtool)("serves an exposition that passes promtool check metrics, after builds", async () => {
    const stack = await startStack(redis, {
      kubesim: { scenario: [{ match: { args: "hungry" }, attempts: [{ oomKilled: { afterMs: 500 } }] }] },
      env: { K8S_MAX_CONNECTIONS: "3" },
    });
    const service = await stack.startWorker({ http: true });
    const ok = await stack.submit(volumeRequest());
    const hungry = await stack.submit(volumeRequest({ retries: 0, buildArgs: { MODE: "hungry" } }));
    await stack.waitForTerminal(ok.id);
    expect((await stack.waitForTerminal(hungry.id)).failure?.reason).toBe("OOMKilled");

    const { text } = await scrape(service);

    expect(metricValue(text, "buildfleet_worker_builds_finished_total", { reason: "OOMKilled" })).toBe(1);
    // The service's own start gate: sized by K8S_MAX_CONNECTIONS, empty once both creates were answered.
    expect(metricValue(text, "buildfleet_worker_job_create_slots")).toBe(3);
    expect(metricValue(text, "buildfleet_worker_job_creates_in_flight")).toBe(0);
    expect(metricValue(text, "buildfleet_worker_job_creates_waiting")).toBe(0);
    expect(await checkMetricsText(text)).toBe("");
  });
});
