import { createPauseLedger, createWorkerRegistry, readQueueStatus, resumeQueue, startDrain, submitBuild, type FleetQueueDeps } from "@buildfleet/shared";
import { parseBuildRequest } from "@buildfleet/contract";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { startStack, volumeRequest, type Stack } from "../test-support/stack.js";

/** Builds matching MODE=slow run about 3 s (kubesim at 100×); everything else finishes at once. */
const SLOW = { kubesim: { scenario: [{ match: { args: "slow" }, attempts: [{ succeed: { afterMs: 300_000 } }] }] } };

describe("fleet: drain, paused time, quiet workers", () => {
  const redis = useRedis();
  const deps = (stack: Stack): FleetQueueDeps => ({ redis: redis.connection(), ks: stack.ks, queue: stack.queues, store: stack.store });

  it("drain lets running builds finish, takes no new ones, and --cancel-queued cancels each queued build once", async () => {
    const stack = await startStack(redis, SLOW);
    await stack.startWorker({ config: { ...stack.config, worker: { ...stack.config.worker, concurrency: 2 } } });
    const running = [await stack.submit(volumeRequest({ buildArgs: { MODE: "slow" } })), await stack.submit(volumeRequest({ buildArgs: { MODE: "slow" } }))];
    for (const b of running) await stack.waitForEvent(b.id, (e) => e.type === "build.running");
    const queued = await Promise.all([1, 2, 3].map(() => stack.submit(volumeRequest())));

    const first = await startDrain(deps(stack), { by: "test", cancelQueued: true, rejectNew: false });
    // Running it twice is harmless: no second cancel event, same start.
    const second = await startDrain(deps(stack), { by: "test", cancelQueued: true, rejectNew: false });

    expect(first.cancelled).toBe(3);
    expect(second.cancelled).toBe(0);
    expect(second.status.drain?.since).toBe(first.status.drain?.since);
    expect(first.status.drain?.state).toBe("draining");
    for (const b of queued) {
      const events = await stack.store.events(b.id);
      expect(events.filter((e) => e.type === "build.cancelled").map((e) => e.data)).toEqual([{ buildId: b.id, by: "test", reason: "Drained" }]);
      expect((await stack.store.get(b.id))?.state).toBe("cancelled");
    }
    // In-flight builds run to the end; the drain then reports drained.
    for (const b of running) expect((await stack.waitForTerminal(b.id)).state).toBe("succeeded");
    await expect.poll(async () => (await readQueueStatus(deps(stack))).drain?.state, { timeout: 10_000 }).toBe("drained");
    // Submitted during the drain: accepted, waits.
    const late = await stack.submit(volumeRequest());
    expect((await stack.store.get(late.id))?.state).toBe("queued");

    await resumeQueue(deps(stack));
    expect((await readQueueStatus(deps(stack))).drain).toBeUndefined();
    expect((await stack.waitForTerminal(late.id)).state).toBe("succeeded");
  });

  it("is not drained while a build handed back by a stopped worker still has its Job running", async () => {
    const stack = await startStack(redis, SLOW);
    const first = await stack.startWorker();
    const build = await stack.submit(volumeRequest({ buildArgs: { MODE: "slow" } }));
    await stack.waitForEvent(build.id, (e) => e.type === "build.running");
    await startDrain(deps(stack), { by: "test", cancelQueued: false, rejectNew: false });

    // SIGTERM during the drain: the build goes back to the paused queue, its Job keeps running.
    await first.stop();
    const status = await readQueueStatus(deps(stack));
    expect(status.drain?.state).toBe("draining");
    expect(status.running).toBe(1);
    expect(await stack.jobsFor(build.id)).toHaveLength(1);

    await stack.startWorker();
    await resumeQueue(deps(stack));
    expect((await stack.waitForTerminal(build.id)).state).toBe("succeeded");
  });

  it("does not count paused time as queue time: builds paused past queueSeconds run after resume", async () => {
    const stack = await startStack(redis);
    const d = deps(stack);
    const ledger = createPauseLedger(d.redis, stack.ks);
    // Submitted 100 s ago with a 30 s queue timeout; the queue was paused from 95 s ago until now.
    const submittedAt = Date.now() - 100_000;
    const submitBackdated = async () => {
      const res = await submitBuild(
        { store: stack.store, queue: stack.queue, tagPolicy: stack.config.builds.tagPolicy, now: () => new Date(submittedAt) },
        { tenant: "team-a", request: parseBuildRequest(volumeRequest({ timeouts: { queueSeconds: 30 } }), { tagPolicy: "allow-latest" }) },
      );
      if (!res.created) throw new Error("expected a new build");
      return res.record;
    };
    // The control: the same backdated build without a pause fails with QueueTimeout.
    const control = await submitBackdated();
    await stack.startWorker();
    expect((await stack.waitForTerminal(control.id)).failure?.reason).toBe("QueueTimeout");

    await ledger.open(submittedAt + 5_000);
    await stack.queue.pause();
    const paused = await Promise.all([1, 2].map(() => submitBackdated()));
    await resumeQueue(d);

    for (const b of paused) expect((await stack.waitForTerminal(b.id)).state).toBe("succeeded");
  });

  it("a quiet worker takes nothing new and follows its in-flight build to the end; resume undoes it", async () => {
    const stack = await startStack(redis, SLOW);
    const service = await stack.startWorker({ workerId: "w-quiet-test", heartbeatMs: 500 });
    const registry = createWorkerRegistry(redis.connection(), stack.ks);
    const inFlight = await stack.submit(volumeRequest({ buildArgs: { MODE: "slow" } }));
    await stack.waitForEvent(inFlight.id, (e) => e.type === "build.running");

    await registry.setWanted("w-quiet-test", "quiet");
    await expect.poll(async () => (await registry.get("w-quiet-test", Date.now()))?.state, { timeout: 5_000 }).toBe("quiet");
    const waiting = await stack.submit(volumeRequest());

    expect((await stack.waitForTerminal(inFlight.id)).state).toBe("succeeded");
    // The heartbeat after the in-flight build ended: still quiet, and the new build was not taken.
    await expect.poll(async () => (await registry.get("w-quiet-test", Date.now()))?.inFlight, { timeout: 5_000 }).toBe(0);
    expect(service.presence.state()).toBe("quiet");
    expect((await stack.store.get(waiting.id))?.state).toBe("queued");
    expect(await stack.jobsFor(waiting.id)).toEqual([]);

    await registry.setWanted("w-quiet-test", "running");
    expect((await stack.waitForTerminal(waiting.id)).state).toBe("succeeded");
    await service.stop();
    // A clean stop removes the report (it is not shown as gone).
    expect(await registry.get("w-quiet-test", Date.now())).toBeUndefined();
  });
});
