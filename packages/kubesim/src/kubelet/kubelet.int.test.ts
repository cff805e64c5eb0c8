// The kubelet stand-in wired to the real store: pod phases and status shapes,
// Pending outcomes, deletion, logs, and resync after a control-plane restart.
import { afterEach, describe, expect, it } from "vitest";
import { createControlPlane } from "../controller/index.js";
import { isStatusError } from "../store/errors.js";
import { createStore } from "../store/index.js";
import type { SimStore } from "../store/index.js";
import type { ControlPlane, KubeObject } from "../store/types.js";
import { kanikoDigest } from "./kaniko.js";

const NS = "default";
const SPEED = 2000;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn();
});

function sim(rules?: unknown, options: { checkMounts?: boolean } = {}): { store: SimStore; cp: ControlPlane } {
  const store = createStore({ speed: SPEED });
  const cp = createControlPlane(store, { defaultRunMs: 5_000, startDelayMs: 1_000, ...options });
  if (rules !== undefined) cp.setScenario(rules);
  cp.start();
  cleanups.push(() => cp.stop());
  return { store, cp };
}

/** Resolves with the predicate's first non-undefined value, re-checked after every store change. */
function waitFor<T>(store: SimStore, predicate: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const first = predicate();
    if (first !== undefined) return resolve(first);
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const unsubscribe = store.subscribe(() =>
      queueMicrotask(() => {
        const value = predicate();
        if (value === undefined) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(value);
      }),
    );
  });
}

interface PodStatus {
  phase?: string;
  reason?: string;
  hostIP?: string;
  podIP?: string;
  startTime?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  containerStatuses?: {
    name: string;
    ready: boolean;
    started: boolean;
    restartCount: number;
    image: string;
    imageID: string;
    containerID?: string;
    state: {
      waiting?: { reason: string; message?: string };
      running?: { startedAt: string };
      terminated?: { exitCode: number; reason: string; message?: string; startedAt: string; finishedAt: string };
    };
  }[];
}
const statusOf = (pod: KubeObject | undefined): PodStatus => (pod?.["status"] ?? {});

const KANIKO_ARGS = [
  "--context=/workspace/my-build",
  "--dockerfile=/workspace/my-build/Dockerfile",
  "--destination=registry.local:5000/team/app:1.0",
  "--destination=registry.local:5000/team/app:latest",
  "--digest-file=/dev/termination-log",
];

function pod(name: string, args: string[] = [], labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NS, labels },
    spec: {
      restartPolicy: "Never",
      containers: [{ name: "main", image: "gcr.io/kaniko-project/executor:v1.23.2", args }],
    },
  };
}

function podWhere(store: SimStore, name: string, test: (s: PodStatus) => boolean): () => KubeObject | undefined {
  return () => {
    const p = store.get("pods", NS, name);
    return p !== undefined && test(statusOf(p)) ? p : undefined;
  };
}

function podEvents(store: SimStore, name: string): { reason: string; type: string; source: { component: string } }[] {
  return store
    .list("events", NS)
    .items.filter((e) => (e["involvedObject"] as { kind: string; name: string }).kind === "Pod" && (e["involvedObject"] as { name: string }).name === name)
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
    .map((e) => ({ reason: e["reason"] as string, type: e["type"] as string, source: e["source"] as { component: string } }));
}

function statusError(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (err) {
    if (isStatusError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("expected a StatusError");
}

describe("kubelet: phases and status", () => {
  it("takes a pod through Pending (ContainerCreating) and Running to Succeeded with real-looking status", async () => {
    const { store } = sim();
    store.create("pods", NS, pod("p1"));
    const creating = await waitFor(store, podWhere(store, "p1", (s) => s.containerStatuses?.[0]?.state.waiting !== undefined), "ContainerCreating");
    expect(statusOf(creating).phase).toBe("Pending");
    expect(statusOf(creating).containerStatuses?.[0]?.state.waiting?.reason).toBe("ContainerCreating");
    expect((creating["spec"] as { nodeName?: string }).nodeName).toBe("kubesim-node-1");

    const running = await waitFor(store, podWhere(store, "p1", (s) => s.phase === "Running"), "Running");
    const rs = statusOf(running);
    expect(rs.conditions?.map((c) => [c.type, c.status])).toEqual([
      ["PodReadyToStartContainers", "True"],
      ["Initialized", "True"],
      ["Ready", "True"],
      ["ContainersReady", "True"],
      ["PodScheduled", "True"],
    ]);
    expect(rs.hostIP).toBe("172.18.0.2");
    expect(rs.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
    expect(rs.startTime).toMatch(/Z$/);
    expect(rs.containerStatuses?.[0]).toMatchObject({ name: "main", ready: true, started: true, restartCount: 0 });
    expect(rs.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(rs.containerStatuses?.[0]?.imageID).toMatch(/^gcr\.io\/kaniko-project\/executor@sha256:[0-9a-f]{64}$/);

    const done = await waitFor(store, podWhere(store, "p1", (s) => s.phase === "Succeeded"), "Succeeded");
    const term = statusOf(done).containerStatuses?.[0];
    expect(term).toMatchObject({ ready: false, started: false });
    expect(term?.state.terminated).toMatchObject({ exitCode: 0, reason: "Completed" });
    // No digest file requested: no termination message.
    expect(term?.state.terminated?.message).toBeUndefined();
    expect(statusOf(done).conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "PodCompleted" });
  });

  it("keeps an Unschedulable pod Pending with PodScheduled False and no node", async () => {
    const { store } = sim([{ match: { labels: { size: "huge" } }, attempts: [{ unschedulable: {} }] }]);
    store.create("pods", NS, pod("big", [], { size: "huge" }));
    const p = await waitFor(store, podWhere(store, "big", (s) => (s.conditions?.length ?? 0) > 0), "PodScheduled condition");
    expect(statusOf(p).phase).toBe("Pending");
    expect(statusOf(p).conditions).toEqual([
      expect.objectContaining({ type: "PodScheduled", status: "False", reason: "Unschedulable" }),
    ]);
    expect(statusOf(p).conditions?.[0]?.message).toMatch(/^0\/1 nodes are available: 1 Insufficient memory/);
    expect((p["spec"] as { nodeName?: string }).nodeName).toBeUndefined();
    expect(statusOf(p).containerStatuses).toBeUndefined();
    expect(podEvents(store, "big")).toEqual([
      { reason: "FailedScheduling", type: "Warning", source: { component: "default-scheduler" } },
    ]);
  });

  it("reports ErrImagePull then ImagePullBackOff and stays Pending", async () => {
    const { store } = sim([{ match: { image: "*/executor:*" }, attempts: [{ imagePullBackOff: {} }] }]);
    store.create("pods", NS, pod("nopull"));
    const p = await waitFor(store, podWhere(store, "nopull", (s) => s.containerStatuses?.[0]?.state.waiting?.reason === "ImagePullBackOff"), "ImagePullBackOff");
    expect(statusOf(p).phase).toBe("Pending");
    expect(statusOf(p).containerStatuses?.[0]?.state.waiting?.message).toBe('Back-off pulling image "gcr.io/kaniko-project/executor:v1.23.2"');
    expect(statusOf(p).conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "ContainersNotReady" });
    expect(podEvents(store, "nopull").map((e) => e.reason)).toEqual(["Failed", "BackOff"]);
  });

  it("holds a pod whose Secret or ConfigMap is missing in ContainerCreating with FailedMount, and starts it once both exist", async () => {
    const { store } = sim(undefined, { checkMounts: true });
    const mounting = pod("mounting");
    (mounting["spec"] as Record<string, unknown>)["volumes"] = [
      { name: "docker-config", secret: { secretName: "regcred", items: [{ key: ".dockerconfigjson", path: "config.json" }] } },
      { name: "dockerfile", configMap: { name: "b-app-dockerfile" } },
      { name: "extra", secret: { secretName: "absent-but-optional", optional: true } },
    ];
    store.create("pods", NS, mounting);
    store.create("pods", NS, pod("neighbour"));
    // The neighbour ran its whole course meanwhile: the held pod did not just start late.
    await waitFor(store, podWhere(store, "neighbour", (s) => s.phase === "Succeeded"), "neighbour Succeeded");
    const held = statusOf(store.get("pods", NS, "mounting"));
    expect(held.phase).toBe("Pending");
    expect(held.containerStatuses?.[0]?.state.waiting?.reason).toBe("ContainerCreating");
    expect(held.conditions?.find((c) => c.type === "PodScheduled")?.status).toBe("True");
    const events = store.list("events", NS).items.filter((e) => (e["involvedObject"] as { name: string }).name === "mounting");
    expect(events.map((e) => [e["reason"], e["type"], e["message"]])).toEqual([
      ["FailedMount", "Warning", 'MountVolume.SetUp failed for volume "docker-config" : secret "regcred" not found'],
      ["FailedMount", "Warning", 'MountVolume.SetUp failed for volume "dockerfile" : configmap "b-app-dockerfile" not found'],
    ]);

    store.create("secrets", NS, { apiVersion: "v1", kind: "Secret", metadata: { name: "regcred", namespace: NS }, data: { ".dockerconfigjson": "e30=" } });
    store.create("configmaps", NS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "b-app-dockerfile", namespace: NS }, data: { Dockerfile: "FROM busybox" } });
    await waitFor(store, podWhere(store, "mounting", (s) => s.phase === "Succeeded"), "Succeeded after the mounts appeared");
  });

  it("leaves a pod whose PersistentVolumeClaim is missing unscheduled with the scheduler's FailedScheduling, and runs it once the claim exists", async () => {
    const { store } = sim(undefined, { checkMounts: true });
    const claiming = pod("claiming");
    (claiming["spec"] as Record<string, unknown>)["volumes"] = [{ name: "context", persistentVolumeClaim: { claimName: "kaniko-workspace", readOnly: true } }];
    store.create("pods", NS, claiming);
    store.create("pods", NS, pod("neighbour"));
    await waitFor(store, podWhere(store, "neighbour", (s) => s.phase === "Succeeded"), "neighbour Succeeded");
    const held = store.get("pods", NS, "claiming");
    const message = '0/1 nodes are available: persistentvolumeclaim "kaniko-workspace" not found. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.';
    expect(statusOf(held).phase).toBe("Pending");
    expect(statusOf(held).conditions?.find((c) => c.type === "PodScheduled")).toMatchObject({ status: "False", reason: "Unschedulable", message });
    expect((held?.["spec"] as { nodeName?: string }).nodeName).toBeUndefined();
    const events = store.list("events", NS).items.filter((e) => (e["involvedObject"] as { name: string }).name === "claiming");
    expect(events.map((e) => [e["reason"], e["type"], (e["source"] as { component?: string } | undefined)?.component, e["message"]])).toEqual([
      ["FailedScheduling", "Warning", "default-scheduler", message],
    ]);

    store.create("persistentvolumeclaims", NS, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "kaniko-workspace", namespace: NS },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    });
    const done = await waitFor(store, podWhere(store, "claiming", (s) => s.phase === "Succeeded"), "Succeeded after the claim appeared");
    expect((done["spec"] as { nodeName?: string }).nodeName).toBe("kubesim-node-1");
  });

  it("schedules and pulls pods held Pending once the scenario no longer holds them", async () => {
    const { store, cp } = sim([
      { match: { labels: { size: "huge" } }, attempts: [{ unschedulable: {} }] },
      { match: { labels: { image: "missing" } }, attempts: [{ imagePullBackOff: {} }] },
    ]);
    store.create("pods", NS, pod("later", [], { size: "huge" }));
    store.create("pods", NS, pod("pulled-later", [], { image: "missing" }));
    await waitFor(store, podWhere(store, "later", (s) => s.conditions?.[0]?.reason === "Unschedulable"), "Unschedulable");
    await waitFor(store, podWhere(store, "pulled-later", (s) => s.containerStatuses?.[0]?.state.waiting?.reason === "ImagePullBackOff"), "ImagePullBackOff");
    cp.clearScenario();
    const done = await waitFor(store, podWhere(store, "later", (s) => s.phase === "Succeeded"), "scheduled and run");
    expect((done["spec"] as { nodeName?: string }).nodeName).toBe("kubesim-node-1");
    await waitFor(store, podWhere(store, "pulled-later", (s) => s.phase === "Succeeded"), "pulled and run");
  });

  it("exits with the scripted code and message", async () => {
    const { store } = sim([{ attempts: [{ exit: { code: 3, message: "no space left" } }] }]);
    store.create("pods", NS, pod("bad"));
    const p = await waitFor(store, podWhere(store, "bad", (s) => s.phase === "Failed"), "Failed");
    expect(statusOf(p).containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 3, reason: "Error", message: "no space left" });
  });

  it("kills a running container with 137 when its pod is deleted while a finalizer holds it", async () => {
    const { store } = sim([{ attempts: [{ hang: {} }] }]);
    const p = pod("held");
    p.metadata.finalizers = ["example.com/hold"];
    store.create("pods", NS, p);
    await waitFor(store, podWhere(store, "held", (s) => s.phase === "Running"), "Running");
    store.delete("pods", NS, "held");
    const killed = await waitFor(store, podWhere(store, "held", (s) => s.phase === "Failed"), "Failed after delete");
    expect(statusOf(killed).containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 137, reason: "Error" });
  });

  it("resumes work after a control-plane restart that kept the store", async () => {
    const store = createStore({ speed: SPEED });
    const first = createControlPlane(store, { defaultRunMs: 5_000, startDelayMs: 1_000 });
    first.setScenario([{ attempts: [{ hang: {} }] }]);
    first.start();
    store.create("jobs", NS, {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "survivor" },
      spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox:1.36" }] } } },
    });
    await waitFor(store, () => (store.list("pods", NS).items.length === 1 ? true : undefined), "first pod");
    first.stop();
    const second = createControlPlane(store, { defaultRunMs: 5_000, startDelayMs: 1_000 });
    cleanups.push(() => second.stop());
    second.start();
    const done = await waitFor(
      store,
      () => {
        const j = store.get("jobs", NS, "survivor");
        const conds = (j?.["status"] as { conditions?: { type: string }[] } | undefined)?.conditions ?? [];
        return conds.some((c) => c.type === "Complete") ? j : undefined;
      },
      "job complete after restart",
    );
    expect((done["status"] as { succeeded: number }).succeeded).toBe(1);
    expect(store.list("pods", NS).items).toHaveLength(1);
  });
});

describe("kubelet: in-place restarts", () => {
  it("restarts a failed container with restartPolicy OnFailure: CrashLoopBackOff, lastState, restartCount, previous logs", async () => {
    const { store, cp } = sim([{ attempts: [{ exit: { code: 1 } }, { succeed: {} }] }]);
    const p = pod("crashy");
    const podSpec = p["spec"] as { restartPolicy: string; containers: { image: string }[] };
    podSpec.restartPolicy = "OnFailure";
    podSpec.containers[0] = { ...podSpec.containers[0], image: "busybox:1.36" };
    store.create("pods", NS, p);
    const backoff = await waitFor(store, podWhere(store, "crashy", (s) => s.containerStatuses?.[0]?.state.waiting?.reason === "CrashLoopBackOff"), "CrashLoopBackOff");
    const cs = statusOf(backoff).containerStatuses?.[0] as unknown as { restartCount: number; lastState: { terminated?: { exitCode: number } }; state: { waiting: { message: string } } };
    expect(statusOf(backoff).phase).toBe("Running");
    expect(cs.restartCount).toBe(1);
    expect(cs.lastState.terminated?.exitCode).toBe(1);
    expect(cs.state.waiting.message).toMatch(/^back-off 10s restarting failed container=main pod=crashy_default\(/);

    const done = await waitFor(store, podWhere(store, "crashy", (s) => s.phase === "Succeeded"), "Succeeded after restart");
    expect(statusOf(done).containerStatuses?.[0]).toMatchObject({ restartCount: 1, state: { terminated: { exitCode: 0 } } });
    expect(cp.logs.read(NS, "crashy", "main", { previous: true })).toContain("exiting with code 1");
    expect(cp.logs.read(NS, "crashy", "main", {})).toContain("exiting with code 0");
  });
});

describe("kubelet: attempts", () => {
  it("continues a Job's per-attempt script after a control-plane restart", async () => {
    const store = createStore({ speed: SPEED });
    const rules = [{ attempts: [{ exit: { code: 1 } }, { hang: {} }, { succeed: {} }] }];
    const first = createControlPlane(store, { defaultRunMs: 5_000, startDelayMs: 1_000 });
    first.setScenario(rules);
    first.start();
    store.create("jobs", NS, {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "scripted" },
      spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox:1.36" }] } } },
    });
    const phases = () => store.list("pods", NS).items.map((p) => statusOf(p).phase).sort();
    await waitFor(store, () => (phases().join() === "Failed,Running" ? true : undefined), "attempt 0 failed, attempt 1 hanging");
    first.stop();
    const second = createControlPlane(store, { defaultRunMs: 5_000, startDelayMs: 1_000 });
    cleanups.push(() => second.stop());
    second.setScenario(rules);
    second.start();
    // The hanging pod is attempt 1 again (it hangs); only after it is deleted does attempt 2 succeed.
    const running = await waitFor(store, () => store.list("pods", NS).items.find((p) => statusOf(p).phase === "Running"), "attempt 1 running again");
    store.delete("pods", NS, running.metadata.name ?? "");
    await waitFor(store, () => (phases().join() === "Failed,Succeeded" ? true : undefined), "attempt 2 succeeded");
  });
});

describe("kubelet: logs", () => {
  it("serves Kaniko log lines: manifest, build steps, one push per destination with the digest", async () => {
    const { store, cp } = sim();
    // The Dockerfile as the worker mounts an inline one: a ConfigMap item at the --dockerfile path.
    store.create("configmaps", NS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "app-dockerfile", namespace: NS }, data: { Dockerfile: "FROM busybox:1.36\nRUN echo hi\n" } });
    const kaniko = pod("kaniko", KANIKO_ARGS);
    const spec = kaniko["spec"] as { volumes?: unknown[]; containers: { volumeMounts?: unknown[] }[] };
    spec.volumes = [{ name: "dockerfile", configMap: { name: "app-dockerfile" } }];
    spec.containers[0]!.volumeMounts = [{ name: "dockerfile", mountPath: "/workspace/my-build" }];
    store.create("pods", NS, kaniko);
    const done = await waitFor(store, podWhere(store, "kaniko", (s) => s.phase === "Succeeded"), "Succeeded");
    const digest = kanikoDigest(KANIKO_ARGS);
    expect(statusOf(done).containerStatuses?.[0]?.state.terminated?.message).toBe(digest);
    const log = cp.logs.read(NS, "kaniko", "main", {});
    const lines = log.trimEnd().split("\n");
    expect(log.endsWith("\n")).toBe(true);
    expect(lines[0]).toMatch(/^INFO\[0000\] Retrieving image manifest busybox:1\.36$/);
    expect(lines).toContainEqual(expect.stringMatching(/^INFO\[\d{4}\] Executing 0 build triggers$/));
    expect(lines).toContainEqual(expect.stringMatching(/^INFO\[\d{4}\] Building stage 'busybox:1\.36' \[idx: '0', base-idx: '-1'\]$/));
    expect(lines).toContainEqual(expect.stringMatching(/^INFO\[\d{4}\] RUN echo hi$/));
    expect(lines).toContainEqual(expect.stringMatching(/^INFO\[\d{4}\] Pushing image to registry\.local:5000\/team\/app:1\.0$/));
    const push = (verb: string, dest: string): unknown => expect.stringMatching(new RegExp(`^INFO\\[\\d{4}\\] ${verb}${dest.replace(/[.]/g, "\\.")}$`));
    expect(lines.slice(-4)).toEqual([
      push("Pushing image to ", "registry.local:5000/team/app:1.0"),
      push("Pushed ", `registry.local:5000/team/app:1.0@${digest}`),
      push("Pushing image to ", "registry.local:5000/team/app:latest"),
      push("Pushed ", `registry.local:5000/team/app:latest@${digest}`),
    ]);

    expect(cp.logs.read(NS, "kaniko", "main", { tailLines: 2 }).trimEnd().split("\n")).toEqual(lines.slice(-2));
    const stamped = cp.logs.read(NS, "kaniko", "main", { timestamps: true }).split("\n")[0] ?? "";
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO\[0000\] /);
    const future = new Date(store.clock.now().getTime() + 60_000);
    expect(cp.logs.read(NS, "kaniko", "main", { sinceTime: future })).toBe("");
  });

  it("keeps logs of existing pods across a control-plane stop/start (restart that kept state)", async () => {
    const { store, cp } = sim();
    store.create("pods", NS, pod("kept", KANIKO_ARGS));
    await waitFor(store, podWhere(store, "kept", (s) => s.phase === "Succeeded"), "Succeeded");
    const before = cp.logs.read(NS, "kept", "main", {});
    cp.stop();
    cp.start();
    expect(cp.logs.read(NS, "kept", "main", {})).toBe(before);
    expect(before).toContain("Pushed ");
  });

  it("answers 400 like the real kubelet for previous, an unknown container and a container not started yet", () => {
    const { store, cp } = sim([{ match: { labels: { stuck: "yes" } }, attempts: [{ unschedulable: {} }] }, { attempts: [{ hang: {} }] }]);
    store.create("pods", NS, pod("waiting", [], { stuck: "yes" }));
    expect(statusError(() => cp.logs.read(NS, "waiting", "main", {}))).toEqual({
      code: 400,
      message: 'container "main" in pod "waiting" is waiting to start: ContainerCreating',
    });
    expect(statusError(() => cp.logs.read(NS, "waiting", "sidecar", {})).message).toBe(
      "container sidecar is not valid for pod waiting",
    );
    expect(statusError(() => cp.logs.read(NS, "absent", "main", {})).code).toBe(404);
  });

  it("rejects previous=true with 400 since restartPolicy Never has no previous instance", async () => {
    const { store, cp } = sim();
    store.create("pods", NS, pod("once"));
    await waitFor(store, podWhere(store, "once", (s) => s.phase === "Succeeded"), "Succeeded");
    expect(statusError(() => cp.logs.read(NS, "once", "main", { previous: true }))).toEqual({
      code: 400,
      message: 'previous terminated container "main" in pod "once" not found',
    });
  });

  it("follows a running container's log until it terminates", async () => {
    const { store, cp } = sim([{ attempts: [{ succeed: { afterMs: 60_000 } }] }]);
    store.create("pods", NS, pod("followed", KANIKO_ARGS));
    await waitFor(store, podWhere(store, "followed", (s) => s.phase === "Running"), "Running");
    const before = cp.logs.read(NS, "followed", "main", {}).trimEnd().split("\n");
    const followed: string[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("follow did not end")), 5_000);
      cp.logs.follow(NS, "followed", "main", (line) => followed.push(line), () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await ended;
    const all = cp.logs.read(NS, "followed", "main", {}).trimEnd().split("\n");
    expect(followed.length).toBeGreaterThan(0);
    expect([...before, ...followed]).toEqual(all);
    expect(followed.at(-1)).toContain("Pushed registry.local:5000/team/app:latest@sha256:");
  });

  it("ends a follow when the pod is deleted and forgets its logs", async () => {
    const { store, cp } = sim([{ attempts: [{ hang: {} }] }]);
    store.create("pods", NS, pod("gone"));
    await waitFor(store, podWhere(store, "gone", (s) => s.phase === "Running"), "Running");
    let ended = false;
    cp.logs.follow(NS, "gone", "main", () => undefined, () => {
      ended = true;
    });
    store.delete("pods", NS, "gone");
    expect(ended).toBe(true);
    expect(statusError(() => cp.logs.read(NS, "gone", "main", {})).code).toBe(404);
  });
});
