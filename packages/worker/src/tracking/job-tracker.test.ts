import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { K8sApi, ListResult, WatchCallbacks, WatchHandle, WatchOptions } from "../k8s/client.js";
import { K8sError } from "../k8s/errors.js";
import type { BuildObservation } from "./derive-status.js";
import { JobTracker, type JobTrackerOptions } from "./job-tracker.js";

/**
 * An in-memory stand-in for the list/watch ports, for unit tests of the tracker
 * (integration tests use kubesim). It keeps objects, a resourceVersion counter and
 * the open watches, and lets a test inject the faults the tracker must survive.
 */
type Kind = "jobs" | "pods";

interface OpenWatch {
  kind: Kind;
  cb: WatchCallbacks<never>;
  closed: boolean;
}

class FakeWatchApi implements Pick<K8sApi, "listJobs" | "listPods" | "watchJobs" | "watchPods"> {
  private rv = 100;
  private readonly objects: Record<Kind, Map<string, V1Job | V1Pod>> = { jobs: new Map(), pods: new Map() };
  readonly watches: OpenWatch[] = [];
  readonly calls = { list: { jobs: 0, pods: 0 }, watch: { jobs: 0, pods: 0 } };
  /** Fail the next N list calls with this error. */
  listFailures: { remaining: number; error: K8sError } = { remaining: 0, error: new K8sError("UNAVAILABLE", "x") };
  /** Answer the next watch of a kind with an immediate 410. */
  goneNext: Record<Kind, boolean> = { jobs: false, pods: false };
  /** Answer every watch of a kind with this error (ended before the start resolves), until cleared. */
  refuse: Record<Kind, K8sError | undefined> = { jobs: undefined, pods: undefined };

  listJobs = (sel: string): Promise<ListResult<V1Job>> => this.list("jobs", sel) as Promise<ListResult<V1Job>>;
  listPods = (sel: string): Promise<ListResult<V1Pod>> => this.list("pods", sel) as Promise<ListResult<V1Pod>>;
  watchJobs = (o: WatchOptions, cb: WatchCallbacks<V1Job>): Promise<WatchHandle> => this.watch("jobs", o, cb);
  watchPods = (o: WatchOptions, cb: WatchCallbacks<V1Pod>): Promise<WatchHandle> => this.watch("pods", o, cb);

  open(kind?: Kind): OpenWatch[] {
    return this.watches.filter((w) => !w.closed && (kind === undefined || w.kind === kind));
  }

  private list(kind: Kind, _sel: string): Promise<ListResult<V1Job | V1Pod>> {
    this.calls.list[kind]++;
    if (this.listFailures.remaining > 0) {
      this.listFailures.remaining--;
      return Promise.reject(this.listFailures.error);
    }
    return Promise.resolve({ items: [...this.objects[kind].values()].map((o) => structuredClone(o)), resourceVersion: String(this.rv) });
  }

  private watch(kind: Kind, _o: WatchOptions, cb: WatchCallbacks<never>): Promise<WatchHandle> {
    this.calls.watch[kind]++;
    const w: OpenWatch = { kind, cb, closed: false };
    this.watches.push(w);
    const refusal = this.refuse[kind];
    if (refusal) {
      w.closed = true;
      queueMicrotask(() => cb.onEnd(refusal));
    } else if (this.goneNext[kind]) {
      this.goneNext[kind] = false;
      w.closed = true;
      queueMicrotask(() => cb.onEnd(new K8sError("GONE", "too old resource version", { status: 410, reason: "Expired" })));
    }
    return Promise.resolve({ abort: () => void (w.closed = true) });
  }

  /** Create or update an object and tell the open watches. */
  put(kind: Kind, obj: V1Job | V1Pod, opts: { silent?: boolean } = {}): void {
    const copy = structuredClone(obj);
    copy.metadata = { ...copy.metadata, resourceVersion: String(++this.rv) };
    const key = copy.metadata.name ?? "";
    const type = this.objects[kind].has(key) ? "MODIFIED" : "ADDED";
    this.objects[kind].set(key, copy);
    if (!opts.silent) for (const w of this.open(kind)) w.cb.onEvent(type, structuredClone(copy) as never);
  }

  remove(kind: Kind, name: string, opts: { silent?: boolean } = {}): void {
    const obj = this.objects[kind].get(name);
    if (obj === undefined) return;
    this.objects[kind].delete(name);
    this.rv++;
    if (!opts.silent) for (const w of this.open(kind)) w.cb.onEvent("DELETED", structuredClone(obj) as never);
  }

  /** Re-send the current object as MODIFIED (a duplicate delivery). */
  replay(kind: Kind, name: string): void {
    const obj = this.objects[kind].get(name);
    if (obj !== undefined) for (const w of this.open(kind)) w.cb.onEvent("MODIFIED", structuredClone(obj) as never);
  }

  /** Send a BOOKMARK on every open watch of a kind. */
  bookmark(kind: Kind): void {
    for (const w of this.open(kind)) w.cb.onBookmark(String(this.rv));
  }

  /** End every open watch of a kind the way a server/network would. */
  drop(kind: Kind, err?: K8sError): void {
    for (const w of this.open(kind)) {
      w.closed = true;
      w.cb.onEnd(err);
    }
  }
}

const DIGEST = `sha256:${"cd34".repeat(16)}`;
const BUILD = "01jd3k8q9v7x2m4n6p8r0t2w4y";
const JOB = "b-01jd3k8q9v7x2m4n6p8r0t2w4y-abcdef0123";
const meta = (name: string, extra: object = {}) => ({
  name,
  namespace: "builds",
  uid: `uid-${name}`,
  labels: { "app.kubernetes.io/managed-by": "buildfleet", "buildfleet.dev/build-id": BUILD },
  annotations: { "buildfleet.dev/build-id": BUILD },
  creationTimestamp: new Date("2026-01-01T10:00:00Z"),
  ...extra,
});

function job(conditions: { type: string; reason?: string }[] = [], status: object = {}): V1Job {
  return { metadata: meta(JOB), status: { conditions: conditions.map((c) => ({ ...c, status: "True" })), ...status } };
}

function pod(n: number, state: "running" | "succeeded" | "failed"): V1Pod {
  const terminated =
    state === "succeeded"
      ? { terminated: { exitCode: 0, reason: "Completed", message: DIGEST } }
      : state === "failed"
        ? { terminated: { exitCode: 1, reason: "Error" } }
        : { running: { startedAt: new Date("2026-01-01T10:00:01Z") } };
  return {
    metadata: meta(`${JOB}-p${n}`, { creationTimestamp: new Date(`2026-01-01T10:0${n}:00Z`), ownerReferences: [{ uid: `uid-${JOB}`, kind: "Job", name: JOB, apiVersion: "batch/v1" }] }),
    status: {
      phase: state === "running" ? "Running" : state === "succeeded" ? "Succeeded" : "Failed",
      containerStatuses: [{ name: "kaniko", state: terminated, image: "k", imageID: "", ready: false, restartCount: 0 }],
    },
  };
}

const logger = pino({ level: "silent" });
let api: FakeWatchApi;
let tracker: JobTracker;

function makeTracker(opts: Partial<JobTrackerOptions> = {}): JobTracker {
  tracker = new JobTracker({ api, logger, random: () => 0.5, inactivityTimeoutMs: 30_000, resyncIntervalMs: 300_000, podStatusGraceMs: 5_000, ...opts });
  return tracker;
}

function record(buildId = BUILD): BuildObservation[] {
  const seen: BuildObservation[] = [];
  tracker.watchBuild(buildId, (o) => seen.push(o));
  return seen;
}

beforeEach(() => {
  vi.useFakeTimers();
  api = new FakeWatchApi();
});

afterEach(() => {
  tracker.stop();
  expect(vi.getTimerCount()).toBe(0); // stop() leaves nothing behind
  vi.useRealTimers();
});

describe("JobTracker", () => {
  it("lists, then follows the watch to a succeeded observation with the digest", async () => {
    api.put("jobs", job());
    makeTracker().start();
    await vi.advanceTimersByTimeAsync(0);
    const seen = record();
    expect(seen.map((o) => o.phase)).toEqual(["pending"]); // known from the list: delivered at once

    api.put("pods", pod(1, "running"));
    api.put("pods", pod(1, "succeeded"));
    api.put("jobs", job([{ type: "SuccessCriteriaMet" }, { type: "Complete" }], { succeeded: 1 }));
    // running twice: the attempt finished (exit 0) before the Job's Complete condition arrived
    expect(seen.map((o) => o.phase)).toEqual(["pending", "running", "running", "succeeded"]);
    expect(seen.at(-1)?.digest).toBe(DIGEST);
    expect(tracker.get(BUILD)?.phase).toBe("succeeded");
    expect(tracker.isLive()).toBe(true);
    expect(api.calls.list).toEqual({ jobs: 1, pods: 1 }); // nothing polled per build
  });

  it("delivers an unchanged observation at most once (duplicate events, relists)", async () => {
    api.put("jobs", job());
    api.put("pods", pod(1, "running"));
    makeTracker().start();
    await vi.advanceTimersByTimeAsync(0);
    const seen = record();
    api.replay("jobs", JOB);
    api.replay("pods", `${JOB}-p1`);
    await vi.advanceTimersByTimeAsync(300_000); // periodic resync relists everything
    expect(api.calls.list.jobs).toBe(2);
    expect(seen).toHaveLength(1);
  });

  it("relists after 410 Gone and picks up what changed while it was blind", async () => {
    api.put("jobs", job());
    makeTracker().start();
    await vi.advanceTimersByTimeAsync(0);
    const seen = record();
    api.put("pods", pod(1, "succeeded"), { silent: true });
    api.put("jobs", job([{ type: "Complete" }], { succeeded: 1 }), { silent: true });
    api.drop("jobs", new K8sError("GONE", "expired", { status: 410 }));
    await vi.advanceTimersByTimeAsync(0);
    expect(api.calls.list.jobs).toBe(2);
    // the pod watch has not been told yet: the tracker waits for pod status instead of guessing
    expect(seen.at(-1)?.phase).not.toBe("failed");
    api.drop("pods", new K8sError("GONE", "expired", { status: 410 }));
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.at(-1)).toMatchObject({ phase: "succeeded", digest: DIGEST });
  });

  it("keeps retrying a failing list with backoff and converges when the API recovers", async () => {
    api.put("jobs", job([{ type: "Complete" }], { succeeded: 1 }));
    api.put("pods", pod(1, "succeeded"));
    api.listFailures = { remaining: 5, error: new K8sError("UNAVAILABLE", "503", { status: 503 }) };
    makeTracker({ backoffInitialMs: 100, backoffMaxMs: 1_000 }).start();
    const seen = record();
    const synced = tracker.waitForSync(60_000);
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(synced).resolves.toBe(true);
    expect(api.calls.list.jobs + api.calls.list.pods).toBe(7);
    expect(seen.at(-1)?.phase).toBe("succeeded");
    expect(tracker.isLive()).toBe(true);
  });

  it("restarts a watch that went silent (no event, no bookmark) without a relist", async () => {
    makeTracker().start();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.calls.watch.jobs).toBe(1);
    await vi.advanceTimersByTimeAsync(30_000 + 1_000);
    expect(api.calls.watch.jobs).toBe(2);
    expect(api.calls.list.jobs).toBe(1);
    expect(api.open("jobs")).toHaveLength(1); // the silent one was aborted
  });

  it("keeps a quiet watch that sends bookmarks", async () => {
    makeTracker().start();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(20_000);
      api.bookmark("jobs");
      api.bookmark("pods");
    }
    expect(api.calls.watch).toEqual({ jobs: 1, pods: 1 });
    expect(tracker.isLive()).toBe(true);
  });

  it("backs off instead of spinning when a server keeps closing watches at once", async () => {
    makeTracker({ backoffInitialMs: 1_000, backoffMaxMs: 8_000 }).start();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 10; i++) {
      api.drop("jobs"); // normal close, nothing delivered
      await vi.advanceTimersByTimeAsync(100);
    }
    // 1 initial watch, then one re-watch per backoff window at most: far fewer than 10 drops.
    expect(api.calls.watch.jobs).toBeLessThanOrEqual(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.open("jobs")).toHaveLength(1);
  });

  it("is not live while every watch is refused at start, and recovers once the API lets it watch", async () => {
    makeTracker({ inactivityTimeoutMs: 30_000, backoffInitialMs: 1_000, backoffMaxMs: 4_000 }).start();
    await vi.advanceTimersByTimeAsync(0);
    expect(tracker.isLive()).toBe(true);
    api.refuse.jobs = new K8sError("FORBIDDEN", "jobs is forbidden", { status: 403 });
    api.drop("jobs", new K8sError("UNAVAILABLE", "reset"));
    await vi.advanceTimersByTimeAsync(40_000);
    expect(api.calls.watch.jobs).toBeGreaterThan(3); // kept retrying with backoff
    expect(tracker.isLive()).toBe(false);
    api.refuse.jobs = undefined;
    // Next retry (≤ 4 s backoff), then the watch must stay up a moment before it counts as live.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(api.open("jobs")).toHaveLength(1);
    expect(tracker.isLive()).toBe(true);
  });

  it("is not live while every watch connects and then fails at once, beyond the bound", async () => {
    makeTracker({ inactivityTimeoutMs: 30_000, backoffInitialMs: 1_000, backoffMaxMs: 4_000 }).start();
    await vi.advanceTimersByTimeAsync(0);
    expect(tracker.isLive()).toBe(true);
    // The API server accepts each watch, then the connection breaks before anything arrives.
    for (let t = 0; t < 40_000; t += 200) {
      api.drop("jobs", new K8sError("UNAVAILABLE", "connection reset"));
      await vi.advanceTimersByTimeAsync(200);
    }
    expect(api.calls.watch.jobs).toBeGreaterThan(3);
    expect(tracker.isLive()).toBe(false);
    // A watch that stays up again makes it live again.
    await vi.advanceTimersByTimeAsync(20_000);
    expect(api.open("jobs")).toHaveLength(1);
    expect(tracker.isLive()).toBe(true);
  });

  it("re-watches after a watch error with backoff, and after a normal close", async () => {
    api.put("jobs", job());
    makeTracker({ backoffInitialMs: 1_000 }).start();
    await vi.advanceTimersByTimeAsync(0);
    const seen = record();
    api.drop("jobs", new K8sError("UNAVAILABLE", "reset"));
    expect(api.calls.watch.jobs).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(api.calls.watch.jobs).toBe(2);
    api.put("pods", pod(1, "running"));
    expect(seen.at(-1)?.phase).toBe("running");
    api.put("jobs", job([], { active: 1 }));
    api.drop("jobs"); // routine server-side close after traffic → at once
    expect(api.calls.watch.jobs).toBe(3);
  });

  it("reports a Job deleted mid-build as failed/JobDeleted, but keeps a result after TTL cleanup", async () => {
    api.put("jobs", job());
    makeTracker().start();
    await vi.advanceTimersByTimeAsync(0);
    const seen = record();
    api.remove("jobs", JOB);
    expect(seen.at(-1)).toMatchObject({ phase: "failed", failure: { reason: "JobDeleted" } });

    api.put("jobs", { ...job([{ type: "Complete" }], { succeeded: 1 }), metadata: { ...meta(JOB), name: "other", annotations: { "buildfleet.dev/build-id": "b2" } } });
    api.put("pods", { ...pod(1, "succeeded"), metadata: { ...meta("other-p1"), annotations: { "buildfleet.dev/build-id": "b2" } } });
    const seen2 = record("b2");
    expect(seen2.at(-1)?.phase).toBe("succeeded");
    api.remove("pods", "other-p1");
    api.remove("jobs", "other");
    expect(seen2.at(-1)?.phase).toBe("succeeded");
    expect(seen2.filter((o) => o.phase === "succeeded")).toHaveLength(1);
  });

  it("decides a finished Job whose pods never show it after the grace period", async () => {
    makeTracker().start();
    await vi.advanceTimersByTimeAsync(0);
    const seen = record();
    api.put("jobs", job([{ type: "Complete" }], { succeeded: 1 }));
    expect(seen.at(-1)).toMatchObject({ phase: "pending", awaitingPodStatus: true });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(seen.at(-1)).toMatchObject({ phase: "failed", failure: { reason: "DigestMissing" } });
  });

  it("stop() is idempotent, closes the watches and silences subscribers", async () => {
    api.put("jobs", job());
    makeTracker().start();
    await vi.advanceTimersByTimeAsync(0);
    const seen = record();
    tracker.stop();
    tracker.stop();
    expect(api.open()).toHaveLength(0);
    expect(tracker.isLive()).toBe(false);
    api.put("pods", pod(1, "running"));
    expect(seen).toHaveLength(1);
  });

  it("survives a subscriber that throws", async () => {
    api.put("jobs", job());
    makeTracker().start();
    await vi.advanceTimersByTimeAsync(0);
    tracker.watchBuild(BUILD, () => {
      throw new Error("boom");
    });
    const seen = record();
    api.put("pods", pod(1, "running"));
    expect(seen.at(-1)?.phase).toBe("running");
    expect(api.calls.watch.pods).toBe(1);
  });

  it("tells its observer why each relist and watch restart happened (the metrics' reasons)", async () => {
    const events: string[] = [];
    makeTracker({
      inactivityTimeoutMs: 10_000,
      observer: { relist: (kind, reason) => events.push(`relist ${kind} ${reason}`), watchRestart: (kind, reason) => events.push(`restart ${kind} ${reason}`) },
    }).start();
    await vi.advanceTimersByTimeAsync(0);
    api.put("jobs", job());
    api.drop("jobs"); // routine server close after traffic: re-watch at once
    await vi.advanceTimersByTimeAsync(0);
    api.drop("jobs", new K8sError("GONE", "expired", { status: 410 }));
    await vi.advanceTimersByTimeAsync(0);
    api.drop("pods", new K8sError("UNAVAILABLE", "reset"));
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.advanceTimersByTimeAsync(10_000); // no event on either watch: both presumed dead
    expect(events.slice(0, 6)).toEqual([
      "relist jobs start",
      "relist pods start",
      "restart jobs closed",
      "restart jobs gone",
      "relist jobs gone",
      "restart pods error",
    ]);
    expect(events.slice(6)).toEqual(expect.arrayContaining(["restart jobs inactivity", "restart pods inactivity"]));
    expect(tracker.watchStatus()).toEqual({ jobs: true, pods: true });
  });
});
