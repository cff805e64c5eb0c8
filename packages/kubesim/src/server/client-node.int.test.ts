// kubesim through the real @kubernetes/client-node: CRUD, optimistic
// concurrency, pagination, delete propagation, Watch and an informer relist.
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  PatchStrategy,
  Watch,
  makeInformer,
  setHeaderOptions,
  type V1Job,
  type V1Pod,
} from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startKubeSim, type KubeSim } from "../start.js";
import { buildJob, noopControlPlane, waitFor } from "../test-support/wait.js";

let sim: KubeSim;
let batch: BatchV1Api;
let core: CoreV1Api;

beforeEach(async () => {
  sim = await startKubeSim({ controlPlane: () => noopControlPlane(), bookmarkIntervalMs: 50 });
  batch = sim.kubeConfig.makeApiClient(BatchV1Api);
  core = sim.kubeConfig.makeApiClient(CoreV1Api);
});

afterEach(async () => {
  await sim.close();
});

async function apiError(promise: Promise<unknown>): Promise<ApiException<string>> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApiException) return err as ApiException<string>;
    throw err;
  }
  throw new Error("expected an ApiException");
}

const podOf = (name: string, job: V1Job): V1Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name,
    labels: { "batch.kubernetes.io/job-name": job.metadata?.name ?? "" },
    ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: job.metadata?.name ?? "", uid: job.metadata?.uid ?? "", controller: true, blockOwnerDeletion: true }],
  },
  spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox:1.36" }] },
});

describe("client-node CRUD", () => {
  it("creates, reads, lists by label, patches and deletes a Job", async () => {
    const created = await batch.createNamespacedJob({ namespace: "default", body: buildJob("build-a", { team: "x" }) });
    expect(created.metadata?.uid).toBeDefined();
    await batch.createNamespacedJob({ namespace: "default", body: buildJob("build-b", { team: "y" }) });
    const read = await batch.readNamespacedJob({ namespace: "default", name: "build-a" });
    expect(read.spec?.backoffLimit).toBe(3);
    const listed = await batch.listNamespacedJob({ namespace: "default", labelSelector: "team=x" });
    expect(listed.items.map((j) => j.metadata?.name)).toEqual(["build-a"]);
    expect(Number(listed.metadata?.resourceVersion)).toBeGreaterThan(0);
    const patched = await batch.patchNamespacedJob(
      { namespace: "default", name: "build-a", body: { metadata: { labels: { team: "z" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(patched.metadata?.labels?.team).toBe("z");
    const jsonPatched = await batch.patchNamespacedJob(
      { namespace: "default", name: "build-a", body: [{ op: "add", path: "/metadata/annotations", value: { a: "1" } }] },
      setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
    );
    expect(jsonPatched.metadata?.annotations).toEqual({ a: "1" });
    await batch.deleteNamespacedJob({ namespace: "default", name: "build-a", propagationPolicy: "Background" });
    const gone = await apiError(batch.readNamespacedJob({ namespace: "default", name: "build-a" }));
    expect(gone.code).toBe(404);
    expect(JSON.parse(gone.body)).toMatchObject({ kind: "Status", reason: "NotFound", message: 'jobs.batch "build-a" not found' });
  });

  it("answers 409 AlreadyExists and 422 for a Job name over 63 characters", async () => {
    await batch.createNamespacedJob({ namespace: "default", body: buildJob("dup") });
    const dup = await apiError(batch.createNamespacedJob({ namespace: "default", body: buildJob("dup") }));
    expect(dup.code).toBe(409);
    expect(JSON.parse(dup.body)).toMatchObject({ reason: "AlreadyExists" });
    const long = await apiError(batch.createNamespacedJob({ namespace: "default", body: buildJob("j".repeat(64)) }));
    expect(long.code).toBe(422);
    expect(JSON.parse(long.body)).toMatchObject({ reason: "Invalid", details: { causes: [{ field: "metadata.name" }] } });
  });

  it("rejects an update with a stale resourceVersion with 409 Conflict", async () => {
    const job = await batch.createNamespacedJob({ namespace: "default", body: buildJob("cas") });
    await batch.replaceNamespacedJob({ namespace: "default", name: "cas", body: { ...job, metadata: { ...job.metadata, labels: { v: "1" } } } });
    const stale = await apiError(
      batch.replaceNamespacedJob({ namespace: "default", name: "cas", body: { ...job, metadata: { ...job.metadata, labels: { v: "2" } } } }),
    );
    expect(stale.code).toBe(409);
    expect(JSON.parse(stale.body)).toMatchObject({
      reason: "Conflict",
      message: 'Operation cannot be fulfilled on jobs.batch "cas": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it("writes status only through the status subresource", async () => {
    const job = await batch.createNamespacedJob({ namespace: "default", body: buildJob("st") });
    const withStatus = await batch.replaceNamespacedJobStatus({ namespace: "default", name: "st", body: { ...job, status: { active: 1 } } });
    expect(withStatus.status?.active).toBe(1);
    const main = await batch.replaceNamespacedJob({ namespace: "default", name: "st", body: { ...withStatus, status: { active: 5 } } });
    expect(main.status?.active).toBe(1);
  });

  it("pages through a list with limit and continue", async () => {
    for (let i = 0; i < 7; i += 1) {
      await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: `cm-${i}` }, data: { i: String(i) } } });
    }
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedConfigMap({ namespace: "default", limit: 3, ...(token ? { _continue: token } : {}) });
      names.push(...page.items.map((c) => c.metadata?.name ?? ""));
      token = page.metadata?._continue;
      pages += 1;
    } while (token && pages < 10);
    expect(pages).toBe(3);
    expect(names).toEqual(["cm-0", "cm-1", "cm-2", "cm-3", "cm-4", "cm-5", "cm-6"]);
  });

  it("answers 410 Expired for a continue token older than the kept history", async () => {
    await sim.close();
    sim = await startKubeSim({ controlPlane: () => noopControlPlane(), historySize: 2 });
    core = sim.kubeConfig.makeApiClient(CoreV1Api);
    for (let i = 0; i < 3; i += 1) await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: `c-${i}` } } });
    const first = await core.listNamespacedConfigMap({ namespace: "default", limit: 1 });
    const token = first.metadata?._continue ?? "";
    expect(token).not.toBe("");
    for (let i = 3; i < 6; i += 1) await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: `c-${i}` } } });
    const err = await apiError(core.listNamespacedConfigMap({ namespace: "default", limit: 1, _continue: token }));
    expect(err.code).toBe(410);
    expect(JSON.parse(err.body)).toMatchObject({ reason: "Expired" });
  });

  it("filters pods by status.phase and lists across namespaces", async () => {
    const job = await batch.createNamespacedJob({ namespace: "default", body: buildJob("ph") });
    await core.createNamespacedPod({ namespace: "default", body: podOf("ph-1", job) });
    await core.createNamespacedPod({ namespace: "buildfleet", body: { metadata: { name: "other" }, spec: { containers: [{ name: "c", image: "x:1" }] } } });
    sim.control.store.mutate("pods", "default", "ph-1", (p) => {
      p.status = { phase: "Running" };
    });
    const running = await core.listPodForAllNamespaces({ fieldSelector: "status.phase=Running" });
    expect(running.items.map((p) => p.metadata?.name)).toEqual(["ph-1"]);
    const all = await core.listPodForAllNamespaces();
    expect(all.items).toHaveLength(2);
  });
});

describe("delete propagation over REST", () => {
  async function jobWithPods(name: string) {
    const job = await batch.createNamespacedJob({ namespace: "default", body: buildJob(name) });
    await core.createNamespacedPod({ namespace: "default", body: podOf(`${name}-1`, job) });
    await core.createNamespacedPod({ namespace: "default", body: podOf(`${name}-2`, job) });
    return job;
  }
  const podsOf = async (name: string) =>
    (await core.listNamespacedPod({ namespace: "default", labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;

  it("orphans the pods of a Job deleted without a propagationPolicy, as real clusters do", async () => {
    await jobWithPods("orph");
    await batch.deleteNamespacedJob({ namespace: "default", name: "orph" });
    const pods = await podsOf("orph");
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => (p.metadata?.ownerReferences ?? []).length === 0)).toBe(true);
  });

  it("deletes the pods with propagationPolicy Background", async () => {
    await jobWithPods("bg");
    await batch.deleteNamespacedJob({ namespace: "default", name: "bg", propagationPolicy: "Background" });
    await waitFor(async () => (await podsOf("bg")).length === 0, "pods collected");
  });

  it("deletes pods before the Job with propagationPolicy Foreground", async () => {
    await jobWithPods("fg");
    sim.control.store.mutate("pods", "default", "fg-1", (p) => {
      p.metadata.finalizers = ["example.com/hold"];
    });
    await batch.deleteNamespacedJob({ namespace: "default", name: "fg", propagationPolicy: "Foreground" });
    const held = await batch.readNamespacedJob({ namespace: "default", name: "fg" });
    expect(held.metadata?.deletionTimestamp).toBeDefined();
    expect(held.metadata?.finalizers).toContain("foregroundDeletion");
    await core.patchNamespacedPod(
      { namespace: "default", name: "fg-1", body: { metadata: { finalizers: null } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const gone = await apiError(batch.readNamespacedJob({ namespace: "default", name: "fg" }));
    expect(gone.code).toBe(404);
    expect(await podsOf("fg")).toHaveLength(0);
  });
});

describe("client-node Watch and informer", () => {
  it("streams ADDED, MODIFIED and DELETED for a label selector, as objects enter and leave it", async () => {
    const events: string[] = [];
    const watch = new Watch(sim.kubeConfig);
    let done: unknown = "open";
    const req = await watch.watch(
      "/apis/batch/v1/namespaces/default/jobs",
      { labelSelector: "team=w" },
      (type: string, obj: V1Job) => events.push(`${type} ${obj.metadata?.name}`),
      (err: unknown) => {
        done = err;
      },
    );
    await batch.createNamespacedJob({ namespace: "default", body: buildJob("w1", { team: "w" }) });
    await batch.createNamespacedJob({ namespace: "default", body: buildJob("other", { team: "q" }) });
    await batch.patchNamespacedJob(
      { namespace: "default", name: "w1", body: { metadata: { annotations: { x: "1" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await batch.patchNamespacedJob(
      { namespace: "default", name: "w1", body: { metadata: { labels: { team: "moved" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    // An object that starts matching the selector arrives as ADDED.
    await batch.patchNamespacedJob(
      { namespace: "default", name: "other", body: { metadata: { labels: { team: "w" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await waitFor(() => events.length >= 4, "four watch events");
    expect(events).toEqual(["ADDED w1", "MODIFIED w1", "DELETED w1", "ADDED other"]);
    req.abort();
    await waitFor(() => done !== "open", "watch done callback");
  });

  it("replays events after a resourceVersion, sends bookmarks and 410 Expired for a compacted one", async () => {
    await sim.close();
    sim = await startKubeSim({ controlPlane: () => noopControlPlane(), historySize: 3, bookmarkIntervalMs: 20 });
    batch = sim.kubeConfig.makeApiClient(BatchV1Api);
    const start = (await batch.listNamespacedJob({ namespace: "default" })).metadata?.resourceVersion ?? "";
    for (let i = 0; i < 5; i += 1) await batch.createNamespacedJob({ namespace: "default", body: buildJob(`h${i}`) });
    const events: Array<{ type: string; obj: { code?: number; reason?: string; metadata?: { name?: string } } }> = [];
    let closed = false;
    const watch = new Watch(sim.kubeConfig);
    await watch.watch("/apis/batch/v1/namespaces/default/jobs", { resourceVersion: start }, (type: string, obj: unknown) => events.push({ type, obj: obj as (typeof events)[number]["obj"] }), () => {
      closed = true;
    });
    await waitFor(() => closed, "server closing the expired watch");
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe("ERROR");
    expect(events[0]?.obj).toMatchObject({ code: 410, reason: "Expired" });

    const recent = String(sim.control.store.currentResourceVersion() - 2);
    const replay: string[] = [];
    const req = await watch.watch(
      "/apis/batch/v1/namespaces/default/jobs",
      { resourceVersion: recent, allowWatchBookmarks: true },
      (type: string, obj: V1Job) => replay.push(type === "BOOKMARK" ? type : `${type} ${obj.metadata?.name}`),
      () => undefined,
    );
    await waitFor(() => replay.includes("BOOKMARK"), "a bookmark");
    expect(replay.slice(0, 2)).toEqual(["ADDED h3", "ADDED h4"]);
    req.abort();
  });

  it("closes a watch after timeoutSeconds", async () => {
    let closed = false;
    await new Watch(sim.kubeConfig).watch("/api/v1/namespaces/default/pods", { timeoutSeconds: 1 }, () => undefined, () => {
      closed = true;
    });
    await waitFor(() => closed, "watch to time out", 5_000);
  });

  it("keeps an informer cache right across a forced 410 Gone relist", async () => {
    const path = "/apis/batch/v1/namespaces/default/jobs";
    let lists = 0;
    const informer = makeInformer(sim.kubeConfig, path, () => {
      lists += 1;
      return batch.listNamespacedJob({ namespace: "default" });
    });
    const errors: unknown[] = [];
    informer.on("error", (err) => errors.push(err));
    await informer.start();
    await batch.createNamespacedJob({ namespace: "default", body: buildJob("i1") });
    await waitFor(() => informer.get("i1", "default"), "informer to see i1");
    const listsBefore = lists;
    // The next watch gets ERROR 410; then drop the current one so the informer re-watches.
    sim.control.expireNextWatches(1);
    sim.control.dropWatches();
    // Changes while the informer is relisting must still end up in its cache.
    await batch.createNamespacedJob({ namespace: "default", body: buildJob("i2") });
    await batch.deleteNamespacedJob({ namespace: "default", name: "i1", propagationPolicy: "Background" });
    await waitFor(() => lists > listsBefore, "informer relist");
    await waitFor(() => sim.control.openWatches() === 1 && informer.get("i2", "default") && !informer.get("i1", "default"), "cache after relist");
    expect(informer.list("default").map((j) => j.metadata?.name)).toEqual(["i2"]);
    expect(errors).toEqual([]);
    await informer.stop();
  });
});
