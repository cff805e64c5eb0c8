import { describe, expect, it } from "vitest";
import { StatusError } from "./errors.js";
import { createStore } from "./store.js";
import type { KubeObject, StoreEvent } from "./types.js";

const job = (name: string, extra: Partial<KubeObject["metadata"]> = {}): KubeObject => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name, ...extra },
  spec: {
    template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox:1.36" }] } },
  },
});

const pod = (name: string, owner?: KubeObject): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name,
    ...(owner
      ? {
          ownerReferences: [
            { apiVersion: "batch/v1", kind: "Job", name: owner.metadata.name ?? "", uid: owner.metadata.uid ?? "", controller: true, blockOwnerDeletion: true },
          ],
        }
      : {}),
  },
  spec: { containers: [{ name: "main", image: "busybox:1.36" }] },
});

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error("expected a StatusError");
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("store create", () => {
  it("assigns uid, increasing resourceVersion, creationTimestamp and generation", () => {
    const store = createStore();
    const a = store.create("jobs", "default", job("a"));
    const b = store.create("jobs", "default", job("b"));
    expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
    expect(a.metadata.generation).toBe(1);
    expect(a.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("generates the Job selector and pod template labels like the API server", () => {
    const store = createStore();
    const a = store.create("jobs", "default", job("a"));
    const uid = a.metadata.uid ?? "";
    expect(a.spec).toMatchObject({
      backoffLimit: 6,
      selector: { matchLabels: { "batch.kubernetes.io/controller-uid": uid } },
      template: { metadata: { labels: { "batch.kubernetes.io/job-name": "a", "job-name": "a", "controller-uid": uid } } },
    });
    expect(a.metadata.labels?.["batch.kubernetes.io/job-name"]).toBe("a");
  });

  it("resolves generateName with a 5 character suffix", () => {
    const store = createStore();
    const a = store.create("pods", "default", { ...pod(""), metadata: { generateName: "build-" } });
    expect(a.metadata.name).toMatch(/^build-[a-z0-9]{5}$/);
  });

  it("rejects a Job name longer than 63 characters with 422 on metadata.name", () => {
    const store = createStore();
    const err = statusOf(() => store.create("jobs", "default", job("a".repeat(64))));
    expect(err.code).toBe(422);
    expect(err.body.reason).toBe("Invalid");
    expect(err.body.details?.causes?.[0]).toMatchObject({ field: "metadata.name", reason: "FieldValueInvalid" });
    expect(err.message).toContain("must be no more than 63 characters");
    // The same length is fine for a pod (DNS-1123 subdomain).
    expect(store.create("pods", "default", pod("a".repeat(64))).metadata.name).toHaveLength(64);
  });

  it("rejects names that are not DNS-1123", () => {
    const err = statusOf(() => createStore().create("configmaps", "default", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "Bad_Name" } }));
    expect(err.code).toBe(422);
    expect(err.message).toContain('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"');
  });

  it("rejects a Job whose pods would restart Always", () => {
    const j = job("a");
    j.spec = { template: { spec: { containers: [{ name: "c", image: "x:1" }] } } };
    const err = statusOf(() => createStore().create("jobs", "default", j));
    expect(err.code).toBe(422);
    expect(err.body.details?.causes?.[0]?.field).toBe("spec.template.spec.restartPolicy");
  });

  it("answers 404 for a missing namespace and 409 AlreadyExists for a duplicate", () => {
    const store = createStore();
    const missing = statusOf(() => store.create("jobs", "nope", job("a")));
    expect(missing.code).toBe(404);
    expect(missing.message).toBe('namespaces "nope" not found');
    store.create("jobs", "default", job("a"));
    const dup = statusOf(() => store.create("jobs", "default", job("a")));
    expect(dup.code).toBe(409);
    expect(dup.body).toMatchObject({ kind: "Status", reason: "AlreadyExists", message: 'jobs.batch "a" already exists', details: { name: "a", group: "batch", kind: "jobs" } });
  });

  it("resets pod status on create", () => {
    const created = createStore().create("pods", "default", { ...pod("p"), status: { phase: "Succeeded" } });
    expect(created.status).toMatchObject({ phase: "Pending" });
  });
});

describe("store update", () => {
  it("rejects a stale resourceVersion with the real Conflict message", () => {
    const store = createStore();
    const a = store.create("jobs", "default", job("a"));
    store.update("jobs", "default", { ...a, metadata: { ...a.metadata, labels: { x: "1" } } });
    const err = statusOf(() => store.update("jobs", "default", { ...a, metadata: { ...a.metadata, labels: { x: "2" } } }));
    expect(err.code).toBe(409);
    expect(err.message).toBe(
      'Operation cannot be fulfilled on jobs.batch "a": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it("keeps status on a main-resource update and changes only status on the status subresource", () => {
    const store = createStore();
    const a = store.create("jobs", "default", job("a"));
    const withStatus = store.update("jobs", "default", { ...a, status: { active: 1 }, spec: { ...(a.spec as object), parallelism: 2 } }, { subresource: "status" });
    expect(withStatus.status).toEqual({ active: 1 });
    expect((withStatus.spec as { parallelism: number }).parallelism).toBe(1);
    const updated = store.update("jobs", "default", { ...withStatus, status: { active: 99 } });
    expect(updated.status).toEqual({ active: 1 });
  });

  it("bumps generation only when spec changes and skips no-op writes", () => {
    const store = createStore();
    const a = store.create("jobs", "default", job("a"));
    const same = store.update("jobs", "default", a);
    expect(same.metadata.resourceVersion).toBe(a.metadata.resourceVersion);
    const changed = store.mutate("jobs", "default", "a", (o) => {
      (o.spec as { parallelism: number }).parallelism = 3;
    });
    expect(changed?.metadata.generation).toBe(2);
    const labelled = store.mutate("jobs", "default", "a", (o) => {
      o.metadata.labels = { y: "1" };
    });
    expect(labelled?.metadata.generation).toBe(2);
    expect(store.mutate("jobs", "default", "missing", () => undefined)).toBeUndefined();
  });

  it("removes an object whose last finalizer is removed after deletion was requested", () => {
    const store = createStore();
    store.create("configmaps", "default", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", finalizers: ["example.com/hold"] } });
    const marked = store.delete("configmaps", "default", "c");
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    expect(store.get("configmaps", "default", "c")).toBeDefined();
    store.mutate("configmaps", "default", "c", (o) => {
      o.metadata.finalizers = [];
    });
    expect(store.get("configmaps", "default", "c")).toBeUndefined();
  });
});

describe("store list and history", () => {
  it("lists in name order with label selectors, pages and namespaces", () => {
    const store = createStore();
    for (const n of ["c", "a", "b"]) store.create("jobs", "default", job(n, { labels: { team: n === "b" ? "x" : "y" } }));
    store.create("jobs", "buildfleet", job("z"));
    expect(store.list("jobs", "default").items.map((j) => j.metadata.name)).toEqual(["a", "b", "c"]);
    expect(store.list("jobs", undefined).items).toHaveLength(4);
    expect(store.list("jobs", "default", { labelSelector: "team=y" }).items.map((j) => j.metadata.name)).toEqual(["a", "c"]);
    const p1 = store.listPage("jobs", "default", { limit: 2 });
    expect(p1.items.map((j) => j.metadata.name)).toEqual(["a", "b"]);
    const p2 = store.listPage("jobs", "default", { limit: 2, ...(p1.continueKey ? { after: p1.continueKey } : {}) });
    expect(p2.items.map((j) => j.metadata.name)).toEqual(["c"]);
    expect(p2.continueKey).toBeUndefined();
  });

  it("expires resourceVersions older than the bounded history", () => {
    const store = createStore({ historySize: 5 });
    const start = store.currentResourceVersion();
    for (let i = 0; i < 10; i += 1) store.create("configmaps", "default", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `c${i}` } });
    const old = store.eventsSince(start);
    expect(old).toBeInstanceOf(StatusError);
    expect((old as StatusError).code).toBe(410);
    expect((old as StatusError).message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    const recent = store.eventsSince(store.currentResourceVersion() - 2);
    expect(Array.isArray(recent) && recent.map((e) => e.type)).toEqual(["ADDED", "ADDED"]);
  });

  it("wipe loses every object but keeps resourceVersion increasing and expires old versions", () => {
    const store = createStore();
    store.create("jobs", "default", job("a"));
    const before = store.currentResourceVersion();
    store.wipe();
    expect(store.get("jobs", "default", "a")).toBeUndefined();
    expect(store.get("namespaces", undefined, "default")).toBeDefined();
    expect(store.currentResourceVersion()).toBeGreaterThan(before);
    expect(store.eventsSince(before - 1)).toBeInstanceOf(StatusError);
  });
});

describe("store delete propagation", () => {
  function setup() {
    const store = createStore();
    const owner = store.create("jobs", "default", job("j"));
    store.create("pods", "default", pod("j-1", owner));
    store.create("pods", "default", pod("j-2", owner));
    const events: StoreEvent[] = [];
    store.subscribe((e) => events.push(e));
    return { store, events };
  }

  it("Background deletes the owner now and its dependents right after", async () => {
    const { store } = setup();
    store.delete("jobs", "default", "j", { propagationPolicy: "Background" });
    expect(store.get("jobs", "default", "j")).toBeUndefined();
    await nextTick();
    expect(store.list("pods", "default").items).toHaveLength(0);
  });

  it("Foreground marks the owner with deletionTimestamp and foregroundDeletion, deletes dependents first", () => {
    const { store, events } = setup();
    const returned = store.delete("jobs", "default", "j", { propagationPolicy: "Foreground" });
    expect(returned.metadata.deletionTimestamp).toBeDefined();
    expect(store.get("jobs", "default", "j")).toBeUndefined();
    expect(store.list("pods", "default").items).toHaveLength(0);
    expect(events.map((e) => `${e.type} ${e.resource}`)).toEqual([
      "MODIFIED jobs",
      "DELETED pods",
      "DELETED pods",
      "DELETED jobs",
    ]);
    expect(events[0]?.object.metadata.finalizers).toContain("foregroundDeletion");
  });

  it("Foreground waits for a dependent held by a finalizer", () => {
    const { store } = setup();
    store.mutate("pods", "default", "j-1", (o) => {
      o.metadata.finalizers = ["example.com/hold"];
    });
    store.delete("jobs", "default", "j", { propagationPolicy: "Foreground" });
    expect(store.get("jobs", "default", "j")?.metadata.deletionTimestamp).toBeDefined();
    store.mutate("pods", "default", "j-1", (o) => {
      o.metadata.finalizers = [];
    });
    expect(store.get("pods", "default", "j-1")).toBeUndefined();
    expect(store.get("jobs", "default", "j")).toBeUndefined();
  });

  it("Orphan strips the ownerReference and keeps the pods", async () => {
    const { store } = setup();
    store.delete("jobs", "default", "j", { propagationPolicy: "Orphan" });
    await nextTick();
    const pods = store.list("pods", "default").items;
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.metadata.ownerReferences === undefined)).toBe(true);
  });

  it("collects an object created with an owner that does not exist", async () => {
    const store = createStore();
    store.create("pods", "default", pod("stray", job("ghost", { uid: "00000000-0000-0000-0000-000000000000" })));
    await nextTick();
    expect(store.get("pods", "default", "stray")).toBeUndefined();
  });

  it("answers 404 NotFound for a missing object", () => {
    const err = statusOf(() => createStore().delete("pods", "default", "nope"));
    expect(err.body).toMatchObject({ code: 404, reason: "NotFound", message: 'pods "nope" not found' });
  });
});

describe("store Job immutability", () => {
  it("rejects a change to the pod template of a running Job with 422 field is immutable", () => {
    const store = createStore();
    const a = store.create("jobs", "default", job("a"));
    const changed = JSON.parse(JSON.stringify(a)) as KubeObject;
    (changed.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]!.image = "busybox:2";
    const err = statusOf(() => store.update("jobs", "default", changed));
    expect(err.code).toBe(422);
    expect(err.body.details?.causes?.[0]).toMatchObject({ field: "spec.template", message: "field is immutable" });
  });
});

describe("store Secrets", () => {
  it("merges stringData into base64 data and never stores stringData", () => {
    const store = createStore();
    const created = store.create("secrets", "default", {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "docker-config" },
      data: { a: Buffer.from("x").toString("base64") },
      stringData: { "config.json": '{"auths":{}}' },
    });
    expect(created.stringData).toBeUndefined();
    expect(created.type).toBe("Opaque");
    expect(Buffer.from((created.data as Record<string, string>)["config.json"] ?? "", "base64").toString()).toBe('{"auths":{}}');
    const updated = store.update("secrets", "default", { ...created, stringData: { a: "y" } });
    expect((updated.data as Record<string, string>).a).toBe(Buffer.from("y").toString("base64"));
  });

  it("rejects data that is not base64 with 400", () => {
    const err = statusOf(() =>
      createStore().create("secrets", "default", { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { a: "not base64!" } }),
    );
    expect(err.code).toBe(400);
  });
});
