// The client-node adapter against kubesim: what each port does on the wire and
// how failures come back as typed K8sErrors.
import { PassThrough } from "node:stream";
import { startKubeSim, type KubeSim } from "@buildfleet/kubesim";
import type { V1Job } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MANAGED_SELECTOR } from "../kaniko/labels.js";
import { ownerReferenceForJob, renderBuildJob, type RenderOptions } from "../kaniko/render-job.js";
import { createK8sApi, type K8sApi } from "./client.js";
import type { K8sError } from "./errors.js";
import { rejection } from "../test-support/k8s.js";

const NAMESPACE = "buildfleet";
const renderOpts: RenderOptions = {
  namespace: NAMESPACE,
  executorImage: `ghcr.io/osscontainertools/kaniko@sha256:${"2".repeat(64)}`,
  ttlSecondsAfterFinished: 3600,
  defaultResources: {},
};

let sim: KubeSim;
let api: K8sApi;

beforeEach(async () => {
  sim = await startKubeSim({ defaultRunMs: 100 });
  api = createK8sApi(sim.kubeConfig, { namespace: NAMESPACE, requestTimeoutMs: 2_000, listPageSize: 2 });
});

afterEach(async () => {
  await sim.close();
});

let seq = 0;
function rendered(inline = false): { job: V1Job; configMap?: ReturnType<typeof renderBuildJob>["configMap"] } {
  const buildId = `01jd3k8q9v7x2m4n6p8r0t2x${String(seq++).padStart(2, "0")}`;
  return renderBuildJob(
    {
      buildId,
      tenant: "acme",
      request: {
        context: inline ? { type: "inline", files: { Dockerfile: "FROM busybox:latest" } } : { type: "tarball", url: "s3://b/app.tar.gz" },
        destinations: ["registry.example.com/team/app:v1"],
      },
    },
    renderOpts,
  );
}

/** Bounded wait on a predicate over API state. */
async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met in time; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("createK8sApi on kubesim", () => {
  it("creates and reads a Job; a second create is ALREADY_EXISTS (the adopt signal)", async () => {
    const { job } = rendered();
    const created = await api.createJob(job);
    expect(created.metadata?.uid).toBeTruthy();
    const read = await api.readJob(job.metadata?.name ?? "");
    expect(read.metadata?.labels).toMatchObject(job.metadata?.labels ?? {});
    const again = await rejection(api.createJob(job));
    expect(again).toMatchObject({ code: "ALREADY_EXISTS", status: 409, retryable: false });
  });

  it("reports NOT_FOUND for a missing Job and INVALID for a bad one", async () => {
    expect(await rejection(api.readJob("b-nope-0000000000"))).toMatchObject({ code: "NOT_FOUND" });
    const { job } = rendered();
    const bad = { ...job, metadata: { ...job.metadata, name: "x".repeat(64) } };
    expect(await rejection(api.createJob(bad))).toMatchObject({ code: "INVALID", retryable: false });
  });

  it("deletes a Job with Background propagation, so its pods go too", async () => {
    const { job } = rendered();
    sim.control.addRules([{ match: { jobName: job.metadata?.name ?? "" }, attempts: [{ hang: {} }] }]);
    await api.createJob(job);
    const selector = `batch.kubernetes.io/job-name=${job.metadata?.name ?? ""}`;
    await eventually(() => api.listPods(selector), (r) => r.items.length === 1);
    await api.deleteJob(job.metadata?.name ?? "");
    expect(await rejection(api.readJob(job.metadata?.name ?? ""))).toMatchObject({ code: "NOT_FOUND" });
    await eventually(() => api.listPods(selector), (r) => r.items.length === 0);
  });

  it("creates the inline ConfigMap first, then owns it by the Job so it is collected with it", async () => {
    const { job, configMap } = rendered(true);
    if (configMap === undefined) throw new Error("expected a ConfigMap");
    await api.createConfigMap(configMap);
    const created = await api.createJob(job);
    const patched = await api.patchConfigMapOwner(configMap.metadata?.name ?? "", ownerReferenceForJob(created));
    expect(patched.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: "Job", uid: created.metadata?.uid })]);
    const cmName = configMap.metadata?.name ?? "";
    expect(sim.control.store.get("configmaps", NAMESPACE, cmName)).toBeDefined();
    await api.deleteJob(job.metadata?.name ?? "");
    await eventually(
      async () => sim.control.store.get("configmaps", NAMESPACE, cmName) === undefined,
      (gone) => gone,
    );
  });

  it("lists across pages with one resourceVersion to watch from", async () => {
    for (let i = 0; i < 5; i++) await api.createJob(rendered().job);
    const list = await api.listJobs(MANAGED_SELECTOR);
    expect(list.items).toHaveLength(5);
    expect(new Set(list.items.map((j) => j.metadata?.name)).size).toBe(5);
    expect(Number(list.resourceVersion)).toBeGreaterThan(0);
  });

  it("watches from a resourceVersion and ends with GONE when it expired", async () => {
    const list = await api.listJobs(MANAGED_SELECTOR);
    const seen: string[] = [];
    let ended: ((e: K8sError | undefined) => void) | undefined;
    const endedP = new Promise<K8sError | undefined>((r) => (ended = r));
    const handle = await api.watchJobs(
      { labelSelector: MANAGED_SELECTOR, resourceVersion: list.resourceVersion },
      { onEvent: (type, o) => seen.push(`${type} ${o.metadata?.name ?? ""}`), onBookmark: () => undefined, onEnd: (e) => ended?.(e) },
    );
    const { job } = rendered();
    await api.createJob(job);
    await eventually(async () => seen.length, (n) => n > 0);
    expect(seen[0]).toBe(`ADDED ${job.metadata?.name ?? ""}`);
    handle.abort();

    sim.control.expireNextWatches(1);
    await api.watchJobs(
      { labelSelector: MANAGED_SELECTOR, resourceVersion: list.resourceVersion },
      { onEvent: () => undefined, onBookmark: () => undefined, onEnd: (e) => ended?.(e) },
    );
    expect(await endedP).toMatchObject({ code: "GONE" });
  });

  it("gives up on a slow answer at the deadline, as a retryable UNAVAILABLE", async () => {
    const fast = createK8sApi(sim.kubeConfig, { namespace: NAMESPACE, requestTimeoutMs: 100 });
    sim.control.setFaults({ verbs: { get: { latencyMs: 1_000 } } });
    expect(await rejection(fast.readJob("b-slow-0000000000"))).toMatchObject({ code: "UNAVAILABLE", retryable: true });
  });

  it("maps 429 with Retry-After and 5xx", async () => {
    sim.control.setFaults({ verbs: { list: { failNext: 1, code: 429, retryAfterSeconds: 4 }, get: { failNext: 1, code: 503 } } });
    expect(await rejection(api.listJobs(MANAGED_SELECTOR))).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: 4, retryable: true });
    expect(await rejection(api.readJob("anything"))).toMatchObject({ code: "UNAVAILABLE", status: 503, retryable: true });
  });

  it("streams a finished pod's log into a writable", async () => {
    const { job } = rendered();
    await api.createJob(job);
    const selector = `batch.kubernetes.io/job-name=${job.metadata?.name ?? ""}`;
    const pods = await eventually(() => api.listPods(selector), (r) => r.items.some((p) => p.status?.phase === "Succeeded"));
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on("data", (c: Buffer) => chunks.push(c));
    const handle = await api.streamPodLog(pods.items[0]?.metadata?.name ?? "", "kaniko", { follow: false }, out);
    await handle.done;
    expect(Buffer.concat(chunks).toString("utf8")).toContain("registry.example.com/team/app:v1");
  });
});
