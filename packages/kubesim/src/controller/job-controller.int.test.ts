// The Job controller and kubelet stand-in wired to the real store, at high
// simulated speed. Every wait is on store events with a bounded timeout.
import { afterEach, describe, expect, it } from "vitest";
import { kanikoDigest } from "../kubelet/kaniko.js";
import { createStore } from "../store/index.js";
import type { SimStore } from "../store/index.js";
import type { ControlPlane, ControlPlaneOptions, KubeObject } from "../store/types.js";
import { createControlPlane } from "./index.js";

const NS = "default";
/** 1 simulated hour per real 1.8 s: backoffs of minutes pass in milliseconds. */
const SPEED = 2000;

interface Sim {
  store: SimStore;
  cp: ControlPlane;
}
const sims: Sim[] = [];

afterEach(() => {
  for (const s of sims.splice(0)) s.cp.stop();
});

function sim(options: ControlPlaneOptions = {}, rules?: unknown): Sim {
  const store = createStore({ speed: SPEED });
  const cp = createControlPlane(store, { defaultRunMs: 5_000, startDelayMs: 1_000, ...options });
  if (rules !== undefined) cp.setScenario(rules);
  cp.start();
  const s = { store, cp };
  sims.push(s);
  return s;
}

/** Resolves with the predicate's first non-undefined value, re-checked after every store change. */
function waitFor<T>(store: SimStore, predicate: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const first = predicate();
    if (first !== undefined) {
      resolve(first);
      return;
    }
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const unsubscribe = store.subscribe(() => {
      // Check after the change's reactions (controller/kubelet run in microtasks).
      queueMicrotask(() => {
        const value = predicate();
        if (value === undefined) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(value);
      });
    });
  });
}

type Condition = { type: string; status: string; reason: string; message: string; lastTransitionTime: string };
type JobStatus = {
  active?: number;
  ready?: number;
  succeeded?: number;
  failed?: number;
  startTime?: string;
  completionTime?: string;
  conditions?: Condition[];
};

const statusOf = (job: KubeObject | undefined): JobStatus => (job?.["status"] ?? {});
const conditionTypes = (job: KubeObject | undefined) => (statusOf(job).conditions ?? []).map((c) => c.type);

function finished(store: SimStore, name: string): () => KubeObject | undefined {
  return () => {
    const job = store.get("jobs", NS, name);
    const done = statusOf(job).conditions?.some(
      (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
    );
    return done === true ? job : undefined;
  };
}

function podsOf(store: SimStore, name: string): KubeObject[] {
  return store
    .list("pods", NS, { labelSelector: `batch.kubernetes.io/job-name=${name}` })
    .items.sort((a, b) => (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") || Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
}

function eventReasons(store: SimStore, name: string): string[] {
  return store
    .list("events", NS)
    .items.filter((e) => (e["involvedObject"] as { name?: string }).name === name)
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
    .map((e) => e["reason"] as string);
}

const KANIKO_ARGS = [
  "--context=/workspace/my-build",
  "--dockerfile=/workspace/my-build/Dockerfile",
  "--destination=registry.local:5000/team/app:1.0",
  "--digest-file=/dev/termination-log",
];

function job(name: string, spec: Record<string, unknown> = {}, args: string[] = ["--context=/w"]): KubeObject {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: NS },
    spec: {
      backoffLimit: 3,
      ...spec,
      template: {
        metadata: { labels: { app: "build" } },
        spec: {
          restartPolicy: "Never",
          containers: [{ name: "main", image: "gcr.io/kaniko-project/executor:v1.23.2", args }],
        },
      },
    },
  };
}

type ContainerStatus = {
  name: string;
  state: { terminated?: { exitCode: number; reason: string; message?: string }; waiting?: { reason: string } };
};
const podStatus = (pod: KubeObject | undefined) =>
  (pod?.["status"] ?? {}) as {
    phase?: string;
    reason?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatus[];
  };

describe("Job controller: success", () => {
  it("runs one pod to completion, SuccessCriteriaMet before Complete, digest in the termination message", async () => {
    const { store } = sim();
    store.create("jobs", NS, job("build-image", {}, KANIKO_ARGS));
    const done = await waitFor(store, finished(store, "build-image"), "job complete");

    expect(conditionTypes(done)).toEqual(["SuccessCriteriaMet", "Complete"]);
    const status = statusOf(done);
    expect(status.conditions?.map((c) => [c.status, c.reason])).toEqual([
      ["True", "CompletionsReached"],
      ["True", "CompletionsReached"],
    ]);
    expect(status).toMatchObject({ active: 0, ready: 0, succeeded: 1, failed: 0 });
    expect(status.startTime).toMatch(/Z$/);
    expect(status.completionTime).toMatch(/Z$/);

    const pods = podsOf(store, "build-image");
    expect(pods).toHaveLength(1);
    const pod = pods[0];
    expect(pod?.metadata.name).toMatch(/^build-image-[a-z0-9]{5}$/);
    expect(pod?.metadata.labels).toMatchObject({
      app: "build",
      "job-name": "build-image",
      "batch.kubernetes.io/controller-uid": done.metadata.uid,
      "controller-uid": done.metadata.uid,
    });
    expect(pod?.metadata.annotations).toHaveProperty("batch.kubernetes.io/job-tracking");
    expect(pod?.metadata.ownerReferences).toEqual([
      { apiVersion: "batch/v1", kind: "Job", name: "build-image", uid: done.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(podStatus(pod).phase).toBe("Succeeded");
    expect((pod?.["spec"] as { nodeName?: string }).nodeName).toBe("kubesim-node-1");
    const terminated = podStatus(pod).containerStatuses?.[0]?.state.terminated;
    expect(terminated).toMatchObject({ exitCode: 0, reason: "Completed" });
    expect(terminated?.message).toBe(kanikoDigest(KANIKO_ARGS));
    expect(terminated?.message).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(eventReasons(store, "build-image")).toEqual(["SuccessfulCreate", "Completed"]);
  });

  it("publishes SuccessCriteriaMet alone before Complete, as separate updates a watcher can see", async () => {
    const { store } = sim();
    const seen: string[] = [];
    const unsubscribe = store.subscribe((e) => {
      if (e.resource === "jobs" && e.object.metadata.name === "observed") seen.push(conditionTypes(e.object).join("+"));
    });
    store.create("jobs", NS, job("observed"));
    await waitFor(store, finished(store, "observed"), "job complete");
    unsubscribe();
    const distinct = seen.filter((v, i) => v !== "" && v !== seen[i - 1]);
    expect(distinct).toEqual(["SuccessCriteriaMet", "SuccessCriteriaMet+Complete"]);
  });

  it("writes only the terminal condition in legacy (≤ 1.30) mode", async () => {
    const { store } = sim({ legacyJobConditions: true }, [
      { match: { jobName: "fails" }, attempts: [{ exit: { code: 1 } }] },
    ]);
    store.create("jobs", NS, job("ok"));
    store.create("jobs", NS, job("fails", { backoffLimit: 0 }));
    expect(conditionTypes(await waitFor(store, finished(store, "ok"), "ok complete"))).toEqual(["Complete"]);
    const failed = await waitFor(store, finished(store, "fails"), "fails failed");
    expect(conditionTypes(failed)).toEqual(["Failed"]);
    expect(statusOf(failed).conditions?.[0]?.reason).toBe("BackoffLimitExceeded");
  });
});

describe("Job controller: failures and retries", () => {
  it("replaces failed pods until backoffLimit is exceeded, with FailureTarget before Failed", async () => {
    const { store } = sim({}, [{ match: { jobName: "flaky" }, attempts: [{ exit: { code: 1, afterMs: 2_000 } }] }]);
    store.create("jobs", NS, job("flaky", { backoffLimit: 2 }));
    const failed = await waitFor(store, finished(store, "flaky"), "job failed");

    expect(conditionTypes(failed)).toEqual(["FailureTarget", "Failed"]);
    expect(statusOf(failed).conditions?.map((c) => c.reason)).toEqual(["BackoffLimitExceeded", "BackoffLimitExceeded"]);
    expect(statusOf(failed).conditions?.[1]?.message).toBe("Job has reached the specified backoff limit");
    expect(statusOf(failed)).toMatchObject({ failed: 3, succeeded: 0, active: 0 });
    expect(statusOf(failed).completionTime).toBeUndefined();
    const pods = podsOf(store, "flaky");
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => podStatus(p).phase === "Failed")).toBe(true);
    expect(eventReasons(store, "flaky").filter((r) => r === "SuccessfulCreate")).toHaveLength(3);
    expect(eventReasons(store, "flaky")).toContain("BackoffLimitExceeded");
  });

  it("waits the exponential backoff (10 s, then 20 s simulated) before re-creating a pod", async () => {
    const { store } = sim({}, [{ match: { jobName: "slow-retry" }, attempts: [{ exit: { code: 1, afterMs: 1_000 } }] }]);
    store.create("jobs", NS, job("slow-retry", { backoffLimit: 2 }));
    await waitFor(store, finished(store, "slow-retry"), "job failed");
    const pods = podsOf(store, "slow-retry");
    const created = pods.map((p) => Date.parse(p.metadata.creationTimestamp ?? ""));
    const finishedAt = pods.map((p) => {
      const cs = (p["status"] as { containerStatuses?: { state: { terminated?: { finishedAt: string } } }[] })
        .containerStatuses?.[0];
      return Date.parse(cs?.state.terminated?.finishedAt ?? "");
    });
    // Second-precision timestamps: allow one second of rounding.
    expect((created[1] ?? 0) - (finishedAt[0] ?? 0)).toBeGreaterThanOrEqual(9_000);
    expect((created[2] ?? 0) - (finishedAt[1] ?? 0)).toBeGreaterThanOrEqual(19_000);
  });

  it("completes after a failure followed by a success (two pods)", async () => {
    const { store } = sim({}, [
      { match: { jobName: "second-time" }, attempts: [{ exit: { code: 1 } }, { succeed: {} }] },
    ]);
    store.create("jobs", NS, job("second-time"));
    const done = await waitFor(store, finished(store, "second-time"), "job complete");
    expect(conditionTypes(done)).toEqual(["SuccessCriteriaMet", "Complete"]);
    expect(statusOf(done)).toMatchObject({ succeeded: 1, failed: 1 });
    expect(podsOf(store, "second-time").map((p) => podStatus(p).phase)).toEqual(["Failed", "Succeeded"]);
  });

  it("fails the Job on an OOMKilled container", async () => {
    const { store } = sim({}, [{ match: { jobName: "oom" }, attempts: [{ oomKilled: { afterMs: 3_000 } }] }]);
    store.create("jobs", NS, job("oom", { backoffLimit: 0 }));
    const failed = await waitFor(store, finished(store, "oom"), "job failed");
    expect(statusOf(failed).conditions?.[1]).toMatchObject({ type: "Failed", reason: "BackoffLimitExceeded" });
    const cs = podStatus(podsOf(store, "oom")[0]).containerStatuses?.[0];
    expect(cs?.state.terminated).toMatchObject({ exitCode: 137, reason: "OOMKilled" });
  });
});

describe("Job controller: restartPolicy OnFailure", () => {
  function onFailureJob(name: string, backoffLimit: number): KubeObject {
    const j = job(name, { backoffLimit });
    (j["spec"] as { template: { spec: { restartPolicy: string } } }).template.spec.restartPolicy = "OnFailure";
    return j;
  }

  it("fails the Job once container restarts reach backoffLimit, deleting its one pod", async () => {
    const { store } = sim({}, [{ match: { jobName: "crash-loop" }, attempts: [{ exit: { code: 1 } }] }]);
    let restartsSeen = 0;
    const unsubscribe = store.subscribe((e) => {
      if (e.resource !== "pods") return;
      const cs = (e.object["status"] as { containerStatuses?: { restartCount: number }[] }).containerStatuses?.[0];
      restartsSeen = Math.max(restartsSeen, cs?.restartCount ?? 0);
    });
    store.create("jobs", NS, onFailureJob("crash-loop", 2));
    const failed = await waitFor(store, finished(store, "crash-loop"), "job failed");
    unsubscribe();
    expect(conditionTypes(failed)).toEqual(["FailureTarget", "Failed"]);
    expect(statusOf(failed).conditions?.[1]?.reason).toBe("BackoffLimitExceeded");
    expect(restartsSeen).toBe(2);
    expect(statusOf(failed)).toMatchObject({ failed: 1, active: 0 });
    expect(podsOf(store, "crash-loop")).toHaveLength(0);
    expect(eventReasons(store, "crash-loop").filter((r) => r === "SuccessfulCreate")).toHaveLength(1);
  });

  it("completes in the same pod when a restart succeeds", async () => {
    const { store } = sim({}, [{ match: { jobName: "second-wind" }, attempts: [{ exit: { code: 1 } }, { succeed: {} }] }]);
    store.create("jobs", NS, onFailureJob("second-wind", 3));
    const done = await waitFor(store, finished(store, "second-wind"), "job complete");
    expect(statusOf(done)).toMatchObject({ succeeded: 1, failed: 0 });
    expect(podsOf(store, "second-wind")).toHaveLength(1);
  });
});

describe("Job controller: podFailurePolicy", () => {
  const policy = {
    rules: [
      { action: "FailJob", onExitCodes: { containerName: "main", operator: "In", values: [42] } },
      { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget" }] },
    ],
  };

  it("fails the Job at once with reason PodFailurePolicy on a FailJob exit code", async () => {
    const { store } = sim({}, [{ match: { jobName: "fatal" }, attempts: [{ exit: { code: 42 } }] }]);
    store.create("jobs", NS, job("fatal", { backoffLimit: 6, podFailurePolicy: policy }));
    const failed = await waitFor(store, finished(store, "fatal"), "job failed");
    const pods = podsOf(store, "fatal");
    expect(pods).toHaveLength(1);
    expect(conditionTypes(failed)).toEqual(["FailureTarget", "Failed"]);
    expect(statusOf(failed).conditions?.[1]).toMatchObject({
      reason: "PodFailurePolicy",
      message: `Container main for pod default/${pods[0]?.metadata.name ?? ""} failed with exit code 42 matching FailJob rule at index 0`,
    });
  });

  it("does not count an evicted pod (DisruptionTarget) when the policy says Ignore", async () => {
    const { store } = sim({}, [{ match: { labels: { app: "build" } }, attempts: [{ evict: { afterMs: 2_000 } }, { succeed: {} }] }]);
    store.create("jobs", NS, job("evicted", { backoffLimit: 0, podFailurePolicy: policy }));
    const done = await waitFor(store, finished(store, "evicted"), "job complete");
    expect(conditionTypes(done)).toEqual(["SuccessCriteriaMet", "Complete"]);
    expect(statusOf(done)).toMatchObject({ failed: 0, succeeded: 1 });
    const [first] = podsOf(store, "evicted");
    expect(podStatus(first)).toMatchObject({ phase: "Failed", reason: "Evicted" });
    expect(podStatus(first).conditions?.[0]).toMatchObject({
      type: "DisruptionTarget",
      status: "True",
      reason: "TerminationByKubelet",
    });
    // The kubelet records the eviction on the pod.
    expect(
      store.list("events", NS).items.some(
        (e) => e["reason"] === "Evicted" && (e["involvedObject"] as { name: string }).name === first?.metadata.name,
      ),
    ).toBe(true);
  });

  it("ignores a pod evicted through the Eviction API (marked, then deleted)", async () => {
    const { store } = sim({}, [{ match: { jobName: "api-evicted" }, attempts: [{ evict: { by: "api" } }, { succeed: {} }] }]);
    let evictedPod: KubeObject | undefined;
    const unsubscribe = store.subscribe((e) => {
      if (e.resource === "pods" && e.type === "DELETED") evictedPod = e.object;
    });
    store.create("jobs", NS, job("api-evicted", { backoffLimit: 0, podFailurePolicy: policy }));
    const done = await waitFor(store, finished(store, "api-evicted"), "job complete");
    unsubscribe();
    expect(statusOf(done)).toMatchObject({ failed: 0, succeeded: 1 });
    expect(podsOf(store, "api-evicted")).toHaveLength(1);
    expect(podStatus(evictedPod).conditions?.[0]).toMatchObject({
      type: "DisruptionTarget",
      reason: "EvictionByEvictionAPI",
      message: "Eviction API: evicting",
    });
    expect(podStatus(evictedPod).phase).toBe("Failed");
  });

  it("counts the same eviction as a failure without the policy", async () => {
    const { store } = sim({}, [{ attempts: [{ evict: { afterMs: 2_000 } }, { succeed: {} }] }]);
    store.create("jobs", NS, job("evicted-counted", { backoffLimit: 0 }));
    const failed = await waitFor(store, finished(store, "evicted-counted"), "job failed");
    expect(statusOf(failed)).toMatchObject({ failed: 1 });
    expect(statusOf(failed).conditions?.[1]?.reason).toBe("BackoffLimitExceeded");
  });
});

describe("Job controller: deadline, TTL, suspend", () => {
  it("fails with DeadlineExceeded after activeDeadlineSeconds and deletes the running pod", async () => {
    const { store } = sim({}, [{ match: { jobName: "stuck" }, attempts: [{ hang: {} }] }]);
    // Seen through the event stream, not by polling the current pod: at this speed the
    // deadline (30 ms real) can delete the pod before a loaded test process looks at it.
    let sawRunning = false;
    const unsubscribe = store.subscribe((e) => {
      if (e.resource === "pods" && podStatus(e.object).phase === "Running") sawRunning = true;
    });
    store.create("jobs", NS, job("stuck", { activeDeadlineSeconds: 60 }));
    const failed = await waitFor(store, finished(store, "stuck"), "job failed");
    unsubscribe();
    expect(sawRunning).toBe(true);
    expect(conditionTypes(failed)).toEqual(["FailureTarget", "Failed"]);
    expect(statusOf(failed).conditions?.[1]).toMatchObject({
      reason: "DeadlineExceeded",
      message: "Job was active longer than specified deadline",
    });
    expect(statusOf(failed)).toMatchObject({ active: 0, failed: 1 });
    expect(podsOf(store, "stuck")).toHaveLength(0);
    const reasons = eventReasons(store, "stuck");
    expect(reasons).toContain("SuccessfulDelete");
    expect(reasons).toContain("DeadlineExceeded");
    const elapsed = Date.parse(statusOf(failed).conditions?.[1]?.lastTransitionTime ?? "") - Date.parse(statusOf(failed).startTime ?? "");
    expect(elapsed).toBeGreaterThanOrEqual(59_000);
  });

  it("deletes the Job and its pods ttlSecondsAfterFinished after completion", async () => {
    const { store } = sim();
    const created = store.create("jobs", NS, job("short-lived", { ttlSecondsAfterFinished: 30 }));
    let sawComplete = false;
    const unsubscribe = store.subscribe((e) => {
      if (e.resource === "jobs" && conditionTypes(e.object).includes("Complete")) sawComplete = true;
    });
    await waitFor(
      store,
      () => (store.get("jobs", NS, "short-lived") === undefined && podsOf(store, "short-lived").length === 0 ? true : undefined),
      "job and pods deleted",
    );
    unsubscribe();
    expect(sawComplete).toBe(true);
    expect(store.list("pods", NS, { labelSelector: `controller-uid=${created.metadata.uid ?? ""}` }).items).toHaveLength(0);
  });

  it("keeps a suspended Job without pods, then runs it on resume with a fresh startTime", async () => {
    const { store } = sim();
    store.create("jobs", NS, job("paused", { suspend: true }));
    const suspended = await waitFor(
      store,
      () => {
        const j = store.get("jobs", NS, "paused");
        return conditionTypes(j).includes("Suspended") ? j : undefined;
      },
      "Suspended condition",
    );
    expect(statusOf(suspended).conditions?.[0]).toMatchObject({ type: "Suspended", status: "True", reason: "JobSuspended" });
    expect(statusOf(suspended).startTime).toBeUndefined();
    expect(podsOf(store, "paused")).toHaveLength(0);

    store.mutate("jobs", NS, "paused", (j) => {
      (j["spec"] as { suspend: boolean }).suspend = false;
    });
    const done = await waitFor(store, finished(store, "paused"), "job complete");
    expect(conditionTypes(done)).toEqual(["Suspended", "SuccessCriteriaMet", "Complete"]);
    expect(statusOf(done).conditions?.[0]).toMatchObject({ status: "False", reason: "JobResumed" });
    expect(statusOf(done).startTime).toMatch(/Z$/);
    expect(podsOf(store, "paused")).toHaveLength(1);
  });

  it("deletes running pods when a Job is suspended, without counting them as failed", async () => {
    const { store } = sim({}, [{ match: { jobName: "interrupted" }, attempts: [{ hang: {} }] }]);
    store.create("jobs", NS, job("interrupted"));
    await waitFor(store, () => (statusOf(store.get("jobs", NS, "interrupted")).active === 1 && podsOf(store, "interrupted").length === 1 ? true : undefined), "pod active");
    store.mutate("jobs", NS, "interrupted", (j) => {
      (j["spec"] as { suspend: boolean }).suspend = true;
    });
    const suspended = await waitFor(
      store,
      () => {
        const j = store.get("jobs", NS, "interrupted");
        return conditionTypes(j).includes("Suspended") && podsOf(store, "interrupted").length === 0 ? j : undefined;
      },
      "suspended with no pods",
    );
    expect(statusOf(suspended)).toMatchObject({ active: 0, failed: 0 });
  });
});

describe("Job controller: pods and deletion", () => {
  it("runs completions: 3 with parallelism: 2, never more than 2 active, counting 3 successes", async () => {
    const { store } = sim();
    let maxActive = 0;
    const unsubscribe = store.subscribe((e) => {
      if (e.resource !== "pods") return;
      const running = podsOf(store, "fan-out").filter((p) => !["Succeeded", "Failed"].includes(podStatus(p).phase ?? "")).length;
      maxActive = Math.max(maxActive, running);
    });
    store.create("jobs", NS, job("fan-out", { completions: 3, parallelism: 2 }));
    const done = await waitFor(store, finished(store, "fan-out"), "job complete");
    unsubscribe();
    expect(statusOf(done)).toMatchObject({ succeeded: 3, failed: 0, active: 0 });
    expect(podsOf(store, "fan-out")).toHaveLength(3);
    expect(maxActive).toBe(2);
  });

  it("counts a running pod deleted by a user as failed and replaces it", async () => {
    const { store } = sim({}, [{ match: { jobName: "deleted-pod" }, attempts: [{ hang: {} }, { succeed: {} }] }]);
    store.create("jobs", NS, job("deleted-pod"));
    const first = await waitFor(store, () => {
      const p = podsOf(store, "deleted-pod")[0];
      return podStatus(p).phase === "Running" ? p : undefined;
    }, "first pod running");
    store.delete("pods", NS, first.metadata.name ?? "");
    const done = await waitFor(store, finished(store, "deleted-pod"), "job complete");
    expect(statusOf(done)).toMatchObject({ succeeded: 1, failed: 1 });
    expect(podsOf(store, "deleted-pod").map((p) => p.metadata.name)).not.toContain(first.metadata.name);
  });

  it("fails the Job with a FailJob rule on the DisruptionTarget pod condition", async () => {
    const { store } = sim({}, [{ match: { jobName: "no-evictions" }, attempts: [{ evict: {} }] }]);
    store.create("jobs", NS, job("no-evictions", {
      podFailurePolicy: { rules: [{ action: "FailJob", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }] },
    }));
    const failed = await waitFor(store, finished(store, "no-evictions"), "job failed");
    const pod = podsOf(store, "no-evictions")[0];
    expect(statusOf(failed).conditions?.[1]).toMatchObject({
      type: "Failed",
      reason: "PodFailurePolicy",
      message: `Pod default/${pod?.metadata.name ?? ""} has condition DisruptionTarget matching FailJob rule at index 0`,
    });
  });

  it("leaves orphaned pods alone after a delete with propagationPolicy Orphan", async () => {
    const { store } = sim({}, [{ match: { jobName: "orphaner" }, attempts: [{ hang: {} }] }]);
    store.create("jobs", NS, job("orphaner"));
    await waitFor(store, () => (podStatus(podsOf(store, "orphaner")[0]).phase === "Running" ? true : undefined), "pod running");
    store.delete("jobs", NS, "orphaner", { propagationPolicy: "Orphan" });
    // A second Job with the same name must not adopt or multiply the orphan.
    store.create("jobs", NS, job("orphaner"));
    await waitFor(store, () => (podsOf(store, "orphaner").length === 2 ? true : undefined), "new Job's own pod");
    const pods = podsOf(store, "orphaner");
    expect(pods.filter((p) => p.metadata.ownerReferences === undefined)).toHaveLength(1);
    expect(podStatus(pods.find((p) => p.metadata.ownerReferences === undefined)).phase).toBe("Running");
  });

  it("removes the Job only after its pods with propagationPolicy Foreground, creating no new pod meanwhile", async () => {
    const { store } = sim({}, [{ match: { jobName: "foreground" }, attempts: [{ hang: {} }] }]);
    store.create("jobs", NS, job("foreground"));
    await waitFor(store, () => (podStatus(podsOf(store, "foreground")[0]).phase === "Running" ? true : undefined), "pod running");
    let podsCreated = 0;
    const unsubscribe = store.subscribe((e) => {
      if (e.resource === "pods" && e.type === "ADDED") podsCreated += 1;
    });
    store.delete("jobs", NS, "foreground", { propagationPolicy: "Foreground" });
    await waitFor(store, () => (store.get("jobs", NS, "foreground") === undefined ? true : undefined), "job gone");
    unsubscribe();
    expect(podsOf(store, "foreground")).toHaveLength(0);
    expect(podsCreated).toBe(0);
  });
});

describe("Job controller: many Jobs at once", () => {
  it("finishes 150 concurrent Jobs with mixed scripts, each with exactly the expected counts", async () => {
    const { store } = sim({}, [
      { match: { labels: { kind: "ok" } }, attempts: [{ succeed: { afterMs: 3_000 } }] },
      { match: { labels: { kind: "retry" } }, attempts: [{ exit: { code: 1, afterMs: 1_000 } }, { succeed: {} }] },
      { match: { labels: { kind: "doomed" } }, attempts: [{ exit: { code: 2, afterMs: 500 } }] },
    ]);
    const kinds = ["ok", "retry", "doomed"] as const;
    const N = 150;
    for (let i = 0; i < N; i++) {
      const kind = kinds[i % 3] ?? "ok";
      const j = job(`many-${i}`, { backoffLimit: 1 });
      const template = (j["spec"] as { template: { metadata: { labels: Record<string, string> } } }).template;
      template.metadata.labels = { kind };
      store.create("jobs", NS, j);
    }
    const done = new Set<string>();
    const unsubscribe = store.subscribe((e) => {
      if (e.resource === "jobs" && ["Complete", "Failed"].some((t) => conditionTypes(e.object).includes(t))) {
        done.add(e.object.metadata.name ?? "");
      }
    });
    await waitFor(store, () => (done.size === N ? true : undefined), "all Jobs finished", 20_000);
    unsubscribe();
    const expected = { ok: [1, 0, 1, "Complete"], retry: [1, 1, 2, "Complete"], doomed: [0, 2, 2, "Failed"] } as const;
    for (let i = 0; i < N; i++) {
      const name = `many-${i}`;
      const [succeeded, failed, pods, terminal] = expected[kinds[i % 3] ?? "ok"];
      const status = statusOf(store.get("jobs", NS, name));
      expect({ name, succeeded: status.succeeded, failed: status.failed, pods: podsOf(store, name).length, terminal: conditionTypes(store.get("jobs", NS, name)).at(-1) })
        .toEqual({ name, succeeded, failed, pods, terminal });
    }
  });
});
