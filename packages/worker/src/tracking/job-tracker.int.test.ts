// The JobTracker against kubesim through the real client-node adapter: a rendered
// Kaniko Job is followed to its digest, and the shared watches survive drops,
// 410 Gone and a burst of 5xx on list.
import { kanikoDigest, startKubeSim, type KubeSim } from "@buildfleet/kubesim";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createK8sApi, type K8sApi } from "../k8s/client.js";
import { renderBuildJob, type RenderOptions } from "../kaniko/render-job.js";
import type { BuildObservation } from "./derive-status.js";
import { JobTracker } from "./job-tracker.js";

const NAMESPACE = "buildfleet";
const logger = pino({ level: "silent" });
const renderOpts: RenderOptions = {
  namespace: NAMESPACE,
  executorImage: `ghcr.io/osscontainertools/kaniko@sha256:${"1".repeat(64)}`,
  ttlSecondsAfterFinished: 3600,
  defaultResources: { requests: { cpu: "100m", memory: "256Mi" } },
};

let sim: KubeSim;
let api: K8sApi;
let tracker: JobTracker | undefined;
const calls = { list: 0, watch: 0 };

function countingApi(inner: K8sApi): K8sApi {
  return {
    ...inner,
    listJobs: (s) => (calls.list++, inner.listJobs(s)),
    listPods: (s) => (calls.list++, inner.listPods(s)),
    watchJobs: (o, cb) => (calls.watch++, inner.watchJobs(o, cb)),
    watchPods: (o, cb) => (calls.watch++, inner.watchPods(o, cb)),
  };
}

function newTracker(): JobTracker {
  tracker = new JobTracker({
    api,
    logger,
    inactivityTimeoutMs: 5_000,
    resyncIntervalMs: 60_000,
    watchTimeoutSeconds: 30,
    backoffInitialMs: 20,
    backoffMaxMs: 200,
  });
  return tracker;
}

/** Resolves with the first observation matching `pred`, or rejects after `timeoutMs`. */
function until(t: JobTracker, buildId: string, pred: (o: BuildObservation) => boolean, timeoutMs = 15_000): Promise<BuildObservation> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const state: { timer?: NodeJS.Timeout } = {};
    // The callback may run synchronously inside watchBuild (known build): unsubscribe on a microtask.
    const unsubscribe = t.watchBuild(buildId, (o) => {
      if (settled || !pred(o)) return;
      settled = true;
      clearTimeout(state.timer);
      queueMicrotask(() => unsubscribe());
      resolve(o);
    });
    if (settled) return;
    state.timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no matching observation for ${buildId} within ${timeoutMs} ms; last: ${JSON.stringify(t.get(buildId))}`));
    }, timeoutMs);
  });
}

/** Bounded wait on a predicate (for state without an event, e.g. the server's open watch count). */
async function eventually(pred: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

let seq = 0;
async function submit(runMs?: number): Promise<{ buildId: string; digest: string }> {
  const buildId = `01jd3k8q9v7x2m4n6p8r0t2w${String(seq++).padStart(2, "0")}`;
  const { job } = renderBuildJob(
    { buildId, tenant: "acme", request: { context: { type: "tarball", url: "https://files.example.com/app.tar.gz" }, destinations: [`registry.example.com/team/app:v${seq}`] } },
    renderOpts,
  );
  if (runMs !== undefined) {
    sim.control.addRules([{ match: { annotations: { "buildfleet.dev/build-id": buildId } }, attempts: [{ succeed: { afterMs: runMs } }] }]);
  }
  await api.createJob(job);
  return { buildId, digest: kanikoDigest(job.spec?.template.spec?.containers[0]?.args ?? []) };
}

beforeEach(async () => {
  sim = await startKubeSim({ defaultRunMs: 200, bookmarkIntervalMs: 100 });
  calls.list = calls.watch = 0;
  api = countingApi(createK8sApi(sim.kubeConfig, { namespace: NAMESPACE, requestTimeoutMs: 5_000 }));
});

afterEach(async () => {
  tracker?.stop();
  tracker = undefined;
  await sim.close();
});

describe("JobTracker on kubesim", () => {
  it("follows a created Job to succeeded with the digest kaniko wrote", async () => {
    const t = newTracker();
    t.start();
    expect(await t.waitForSync(5_000)).toBe(true);
    const { buildId, digest } = await submit();
    const done = await until(t, buildId, (o) => o.phase === "succeeded" || o.phase === "failed");
    expect(done).toMatchObject({ phase: "succeeded", digest });
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({ exitCode: 0, reason: "Completed" });
    expect(t.isLive()).toBe(true);
    expect(calls.list).toBe(2); // one list per kind, nothing polled per build
  });

  it("converges when the watches are dropped mid-build", async () => {
    const t = newTracker();
    t.start();
    expect(await t.waitForSync(5_000)).toBe(true);
    const { buildId, digest } = await submit(1_500);
    await until(t, buildId, (o) => o.phase === "running");
    for (let i = 0; i < 3; i++) {
      await eventually(() => sim.control.openWatches() === 2);
      expect(sim.control.dropWatches()).toBe(2);
    }
    const done = await until(t, buildId, (o) => o.phase === "succeeded" || o.phase === "failed");
    expect(done).toMatchObject({ phase: "succeeded", digest });
  });

  it("relists after 410 Gone and converges", async () => {
    const t = newTracker();
    t.start();
    expect(await t.waitForSync(5_000)).toBe(true);
    const { buildId, digest } = await submit(800);
    await until(t, buildId, (o) => o.phase === "running");
    const listsBefore = calls.list;
    sim.control.expireNextWatches(2);
    sim.control.dropWatches();
    const done = await until(t, buildId, (o) => o.phase === "succeeded" || o.phase === "failed");
    expect(done).toMatchObject({ phase: "succeeded", digest });
    expect(calls.list).toBeGreaterThanOrEqual(listsBefore + 2);
  });

  it("recovers from a burst of 5xx on list", async () => {
    sim.control.setFaults({ verbs: { list: { failNext: 6, code: 503 } } });
    const { buildId, digest } = await submit();
    const t = newTracker();
    t.start();
    const done = await until(t, buildId, (o) => o.phase === "succeeded" || o.phase === "failed");
    expect(done).toMatchObject({ phase: "succeeded", digest });
    expect(calls.list).toBeGreaterThanOrEqual(8);
    expect(t.isLive()).toBe(true);
  });

  it("stop() closes its watches on the server and is idempotent", async () => {
    const t = newTracker();
    t.start();
    expect(await t.waitForSync(5_000)).toBe(true);
    await eventually(() => sim.control.openWatches() === 2);
    t.stop();
    t.stop();
    await eventually(() => sim.control.openWatches() === 0);
    expect(t.isLive()).toBe(false);
  });
});
