import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { V1Job } from "@kubernetes/client-node";
import { pino } from "pino";
import { BuildStore, keyspace, type StoredBuild, type Transition, type TransitionResult } from "@buildfleet/shared";
import type { QueuedBuild } from "@buildfleet/contract";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { LABEL_BUILD_ID } from "../kaniko/labels.js";
import { queuedBuild } from "../test-support/stack.js";
import type { BuildObservation } from "../tracking/derive-status.js";
import { runBuild, type BuildK8s, type BuildTracker } from "./run-build.js";

/**
 * What a followed build keeps alive. A worker follows thousands of builds for up
 * to an hour each (issue 12: 10,000 in flight within 300 MiB), so whatever the
 * closures of one run hold is multiplied by that. Real Redis for the store; the
 * Kubernetes side and the watch are lambdas (this is about the run, not them).
 */

// A full GC on demand, without starting the test runner with --expose-gc.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Lets the current job end (WeakRef targets stay alive until then), then collects. */
async function collect(): Promise<void> {
  await new Promise((r) => setTimeout(r, 0));
  gc();
}

class RememberingStore extends BuildStore {
  /** Each StoredBuild a transition returned, weakly. */
  readonly returned: WeakRef<StoredBuild>[] = [];
  override async transition(buildId: string, t: Transition, options?: { from?: StoredBuild }): Promise<TransitionResult> {
    const res = await super.transition(buildId, t, options);
    this.returned.push(new WeakRef(res.stored));
    return res;
  }
}

const DIGEST = `sha256:${"a".repeat(64)}`;

function observation(phase: "running" | "succeeded", jobName: string): BuildObservation {
  const attempt = { index: 1, podName: `${jobName}-p1`, podPhase: phase === "running" ? "Running" : "Succeeded", startedAt: new Date().toISOString(), disrupted: false };
  return phase === "running"
    ? { phase, jobName, attempts: [attempt], failedAttempts: 0, startedAt: attempt.startedAt }
    : { phase, jobName, attempts: [{ ...attempt, exitCode: 0, finishedAt: new Date().toISOString() }], failedAttempts: 0, digest: DIGEST };
}

describe("runBuild: what a followed build keeps alive", () => {
  const redis = useRedis();

  it("holds neither the queue entry nor the last record while the build runs, and still records the outcome", async () => {
    const store = new RememberingStore({ redis: redis.connection(), keyspace: keyspace(redis.prefix), source: "/test/worker" });
    let onChange: ((obs: BuildObservation) => void) | undefined;
    const tracker: BuildTracker = {
      watchBuild: (_id, fn) => {
        onChange = fn;
        return () => (onChange = undefined);
      },
    };
    const k8s: BuildK8s = {
      createJob: (job: V1Job) => Promise.resolve({ ...job, metadata: { ...job.metadata, uid: "uid-1" } }),
      readJob: () => Promise.reject(new Error("not expected")),
      deleteJob: () => Promise.resolve(),
      createConfigMap: (c) => Promise.resolve(c),
      patchConfigMapOwner: () => Promise.reject(new Error("not expected")),
    };
    const jobName = "b-app-memory-1";
    const signals = { shutdown: new AbortController().signal, cancel: new AbortController().signal };
    let build: QueuedBuild | undefined = queuedBuild();
    const buildId = build.buildId;
    const entry = new WeakRef(build);
    const running = runBuild(
      build,
      {
        store,
        k8s,
        tracker,
        render: (b) => ({ job: { metadata: { name: jobName, labels: { [LABEL_BUILD_ID]: b.buildId } } } }),
        logger: pino({ level: "silent" }),
      },
      signals,
    );
    build = undefined;

    await expect.poll(() => onChange !== undefined).toBe(true);
    onChange?.(observation("running", jobName));
    await expect.poll(async () => (await store.get(buildId))?.state).toBe("running");
    await collect();

    expect(entry.deref()).toBeUndefined();
    expect(store.returned.length).toBeGreaterThanOrEqual(2);
    expect(store.returned.map((r) => r.deref())).toEqual(store.returned.map(() => undefined));

    onChange?.(observation("succeeded", jobName));
    await expect(running).resolves.toMatchObject({ buildId, state: "succeeded", digest: DIGEST });
    const events = await store.events(buildId);
    expect(events.map((e) => e.type)).toEqual(["build.queued", "build.started", "build.running", "build.succeeded"]);
  });
});
