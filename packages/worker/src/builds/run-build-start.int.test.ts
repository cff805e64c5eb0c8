import type { V1Job } from "@kubernetes/client-node";
import { pino } from "pino";
import { BuildStore, keyspace } from "@buildfleet/shared";
import type { QueuedBuild } from "@buildfleet/contract";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { LABEL_BUILD_ID } from "../kaniko/labels.js";
import { queuedBuild } from "../test-support/stack.js";
import { BuildSignal } from "./build-signal.js";
import { HandBackError, runBuild, type BuildK8s, type BuildTracker, type RunBuildDeps } from "./run-build.js";
import { StartGate } from "./start-gate.js";

/**
 * The start gate as runBuild uses it: a build waiting for a start slot has rendered and
 * created nothing yet. Real Redis for the store; the API server is a lambda that keeps
 * the Jobs created, the watch a lambda too.
 */
describe("runBuild behind the start gate", () => {
  const redis = useRedis();

  function deps(starts: StartGate): { deps: RunBuildDeps; created: string[]; rendered: string[] } {
    const created: string[] = [];
    const rendered: string[] = [];
    const k8s: BuildK8s = {
      createJob: (job: V1Job) => {
        created.push(job.metadata?.name ?? "");
        return Promise.resolve({ ...job, metadata: { ...job.metadata, uid: `uid-${created.length}` } });
      },
      readJob: () => Promise.reject(new Error("not expected")),
      deleteJob: () => Promise.resolve(),
      createConfigMap: (c) => Promise.resolve(c),
      patchConfigMapOwner: () => Promise.reject(new Error("not expected")),
    };
    const tracker: BuildTracker = { watchBuild: () => () => undefined };
    const store = new BuildStore({ redis: redis.connection(), keyspace: keyspace(redis.prefix), source: "/test/worker" });
    return {
      created,
      rendered,
      deps: {
        store,
        k8s,
        tracker,
        starts,
        render: (b) => {
          rendered.push(b.buildId);
          return { job: { metadata: { name: `b-${b.buildId}`, labels: { [LABEL_BUILD_ID]: b.buildId } } } };
        },
        logger: pino({ level: "silent" }),
      },
    };
  }

  it("renders and creates nothing while it waits for a slot, and hands the build back on shutdown", async () => {
    const gate = new StartGate(1);
    const held = await gate.acquire();
    const { deps: d, created, rendered } = deps(gate);
    const build = queuedBuild();
    const shutdown = new BuildSignal();
    const running = runBuild(build, d, { shutdown, cancel: new BuildSignal() });
    await expect.poll(() => gate.stats().waiting).toBe(1);

    shutdown.abort();
    held();

    await expect(running).rejects.toBeInstanceOf(HandBackError);
    expect(rendered).toEqual([]);
    expect(created).toEqual([]);
    expect((await d.store.get(build.buildId))?.state).toBe("queued");
    expect(gate.stats()).toEqual({ active: 0, waiting: 0 });
  });

  it("creates the Job once a slot is free, in the order the builds came", async () => {
    const gate = new StartGate(1);
    const held = await gate.acquire();
    const { deps: d, created } = deps(gate);
    const builds = [queuedBuild(), queuedBuild()];
    const signals = { shutdown: new BuildSignal(), cancel: new BuildSignal() };
    const first = runBuild(builds[0] as QueuedBuild, d, signals);
    await expect.poll(() => gate.stats().waiting).toBe(1);
    const second = runBuild(builds[1] as QueuedBuild, d, signals);
    await expect.poll(() => gate.stats().waiting).toBe(2);
    expect(created).toEqual([]);

    held();

    await expect.poll(() => created).toEqual(builds.map((b) => `b-${b.buildId}`));
    await expect.poll(async () => (await d.store.get(builds[1]?.buildId ?? ""))?.state).toBe("starting");
    expect(gate.stats()).toEqual({ active: 0, waiting: 0 });
    // Both now follow their Job: a shutdown hands them back.
    signals.shutdown.abort();
    await expect(first).rejects.toBeInstanceOf(HandBackError);
    await expect(second).rejects.toBeInstanceOf(HandBackError);
  });
});
