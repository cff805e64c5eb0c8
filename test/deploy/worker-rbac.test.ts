import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { startKubeSim, type KubeSim } from "@buildfleet/kubesim";
import { loadConfig } from "@buildfleet/shared";
import { createK8sApi, loadKubeConfig, type K8sApi } from "@buildfleet/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentSpec, find, OVERLAYS, renderOverlay, sharedEnv, skipWithoutKubectl } from "./render.js";

/**
 * The worker's Role must grant exactly what its Kubernetes adapter calls: no
 * less (a build would fail with 403 in production only) and no more (least
 * privilege). The table below names the API-server permission behind each
 * operation of K8sApi; the test checks that the table covers every operation
 * the adapter exports, that each operation really sends those requests (run
 * against kubesim, counted by its request counter), and that the Role in every
 * overlay grants exactly their union.
 */

type Permission = { group: string; resource: string; verb: string };
type Operation = Exclude<keyof K8sApi, "namespace" | "close">;

const p = (group: string, resource: string, verb: string): Permission => ({ group, resource, verb });

const PERMISSIONS: Record<Operation, Permission[]> = {
  createJob: [p("batch", "jobs", "create")],
  readJob: [p("batch", "jobs", "get")],
  deleteJob: [p("batch", "jobs", "delete")],
  listJobs: [p("batch", "jobs", "list")],
  watchJobs: [p("batch", "jobs", "watch")],
  listPods: [p("", "pods", "list")],
  listPodWarnings: [p("", "events", "list")],
  watchPods: [p("", "pods", "watch")],
  streamPodLog: [p("", "pods/log", "get")],
  createConfigMap: [p("", "configmaps", "create")],
  patchConfigMapOwner: [p("", "configmaps", "patch")],
  // A mirror schedule's registryCredentials Secret (get only: the worker cannot enumerate Secrets).
  readSecret: [p("", "secrets", "get")],
};

const NAMESPACE = "buildfleet";
const JOB = "rbac-probe";

let sim: KubeSim;
let dir: string;
let k8s: K8sApi;

beforeAll(async () => {
  sim = await startKubeSim();
  dir = await mkdtemp(join(tmpdir(), "buildfleet-rbac-"));
  const file = join(dir, "kubeconfig");
  await writeFile(file, sim.kubeconfigYaml, { mode: 0o600 });
  k8s = createK8sApi(loadKubeConfig({ kubeconfig: file, inCluster: false }), { namespace: NAMESPACE, requestTimeoutMs: 5_000 });
});

afterAll(async () => {
  k8s.close?.();
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

const callbacks = { onEvent: () => undefined, onBookmark: () => undefined, onEnd: () => undefined };

/** One call of each operation, in an order where each finds what it needs. */
const CALLS: Array<[Operation, () => Promise<unknown>]> = [
  [
    "createJob",
    () =>
      k8s.createJob({
        metadata: { name: JOB },
        spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox:1.36" }] } } },
      }),
  ],
  ["readJob", () => k8s.readJob(JOB)],
  ["listJobs", () => k8s.listJobs("")],
  ["listPods", () => k8s.listPods("")],
  ["listPodWarnings", () => k8s.listPodWarnings(`${JOB}-none`)],
  ["watchJobs", async () => (await k8s.watchJobs({ labelSelector: "", resourceVersion: "0" }, callbacks)).abort()],
  ["watchPods", async () => (await k8s.watchPods({ labelSelector: "", resourceVersion: "0" }, callbacks)).abort()],
  // The request is what matters here, not the answer (the pod may not have started).
  ["streamPodLog", () => k8s.streamPodLog(`${JOB}-none`, "main", { follow: false }, new PassThrough()).then((h) => h.done, () => undefined)],
  ["createConfigMap", () => k8s.createConfigMap({ metadata: { name: `${JOB}-files` }, data: { a: "b" } })],
  [
    "patchConfigMapOwner",
    async () => {
      const job = await k8s.readJob(JOB);
      sim.control.resetRequestCounts();
      return k8s.patchConfigMapOwner(`${JOB}-files`, { apiVersion: "batch/v1", kind: "Job", name: JOB, uid: job.metadata?.uid ?? "" });
    },
  ],
  ["deleteJob", () => k8s.deleteJob(JOB)],
  // A 404 is an answer too: the request is what is counted.
  ["readSecret", () => k8s.readSecret("regcred").catch(() => undefined)],
];

const key = (x: Permission) => `${x.group}/${x.resource}:${x.verb}`;

describe("the worker's RBAC", () => {
  it("has a permission entry for every operation the Kubernetes adapter exports", () => {
    const exported = Object.entries(k8s)
      .filter(([name, value]) => typeof value === "function" && name !== "close")
      .map(([name]) => name)
      .sort();
    expect(exported).toEqual(Object.keys(PERMISSIONS).sort());
    expect(CALLS.map(([op]) => op).sort()).toEqual(Object.keys(PERMISSIONS).sort());
  });

  it.each(CALLS)("%s sends exactly the requests its table entry names", async (op, call) => {
    sim.control.resetRequestCounts();
    await call();
    // kubesim counts "verb resource", a subresource under its resource (pods/log → pods).
    const sent = Object.keys(sim.control.requestCounts()).sort();
    expect(sent).toEqual(PERMISSIONS[op].map((x) => `${x.verb} ${x.resource.split("/")[0] ?? ""}`).sort());
  });

  describe.skipIf(skipWithoutKubectl).each(OVERLAYS)("in %s", (overlay) => {
    it("the Role grants exactly those permissions, in the build namespace, to the worker's ServiceAccount", async () => {
      const { objects } = await renderOverlay(overlay);
      const role = find(objects, "Role", "buildfleet-worker");
      expect(role.metadata.namespace).toBe(loadConfig(sharedEnv(objects)).builds.namespace);
      const rules = role["rules"] as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
      const granted = rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => key(p(g, res, v))))));
      expect(granted.some((g) => g.includes("*"))).toBe(false);
      expect([...new Set(granted)].sort()).toEqual([...new Set(Object.values(PERMISSIONS).flat().map(key))].sort());

      const binding = find(objects, "RoleBinding", "buildfleet-worker");
      expect(binding.metadata.namespace).toBe(role.metadata.namespace);
      expect(binding["roleRef"]).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "buildfleet-worker" });
      const worker = find(objects, "Deployment", "buildfleet-worker");
      expect(binding["subjects"]).toEqual([
        { kind: "ServiceAccount", name: deploymentSpec(worker).template.spec.serviceAccountName, namespace: worker.metadata.namespace },
      ]);
    });
  });
});
