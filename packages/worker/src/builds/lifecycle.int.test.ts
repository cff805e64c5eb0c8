import { Queue } from "bullmq";
import { BUILD_JOB_NAME } from "@buildfleet/shared";
import { ValidationError } from "@buildfleet/contract";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { startStack, volumeRequest } from "../test-support/stack.js";

describe("worker: cancellation, invalid requests, queue timeout", () => {
  const redis = useRedis();

  it("cancels a build still waiting in the queue: removed, recorded once, no Job", async () => {
    const stack = await startStack(redis);
    // No worker yet: the build stays queued.
    const build = await stack.submit(volumeRequest());

    const record = await stack.cancel(build.id);

    expect(record.state).toBe("cancelled");
    expect(await stack.queue.getJob(build.id)).toBeUndefined();
    await stack.startWorker();
    expect((await stack.cancel(build.id)).state).toBe("cancelled");
    expect((await stack.store.events(build.id)).map((e) => e.type)).toEqual(["build.queued", "build.cancelled"]);
    expect(await stack.jobsFor(build.id)).toEqual([]);
  });

  it("cancels a running build: the owner records cancelled once and deletes the Job with its pods", async () => {
    const stack = await startStack(redis, { kubesim: { scenario: [{ match: { args: "forever" }, attempts: [{ hang: {} }] }] } });
    await stack.startWorker();
    const build = await stack.submit(volumeRequest({ buildArgs: { MODE: "forever" } }));
    await stack.waitForEvent(build.id, (e) => e.type === "build.running");

    await stack.cancel(build.id);
    const done = await stack.waitForTerminal(build.id);

    expect(done.state).toBe("cancelled");
    expect(done.cancelledBy).toBe("test");
    const events = await stack.store.events(build.id);
    expect(events.filter((e) => e.type === "build.cancelled")).toHaveLength(1);
    expect(events.some((e) => e.type === "build.failed")).toBe(false);
    await expect.poll(() => stack.jobsFor(build.id), { timeout: 5_000 }).toEqual([]);
    await expect.poll(() => stack.podsFor(build.id), { timeout: 5_000 }).toEqual([]);
  });

  it("rejects an invalid request before anything is written or reaches Kubernetes", async () => {
    const stack = await startStack(redis);
    await stack.startWorker();

    await expect(stack.submit(volumeRequest({ destinations: ["team app:v1"] }))).rejects.toBeInstanceOf(ValidationError);

    expect(await stack.queue.getJobCounts()).toMatchObject({ waiting: 0, active: 0, completed: 0, failed: 0 });
    expect(stack.sim.control.store.list("jobs", "buildfleet").items).toEqual([]);
  });

  it("fails a malformed queue entry without retrying and without touching Kubernetes", async () => {
    const stack = await startStack(redis);
    await stack.startWorker();
    const queue = redis.track(new Queue(stack.ks.buildQueue, { connection: { url: redis.url }, prefix: stack.ks.bullPrefix }));

    const job = await queue.add(BUILD_JOB_NAME, { buildId: "not-an-id", request: { nope: true } }, { attempts: 5 });

    await expect.poll(async () => (await queue.getJob(job.id ?? ""))?.failedReason, { timeout: 10_000 }).toMatch(
      /not a valid build request/,
    );
    expect((await queue.getJob(job.id ?? ""))?.attemptsMade).toBe(1);
    expect(stack.sim.control.store.list("jobs", "buildfleet").items).toEqual([]);
  });

  it("records InvalidRequest and does not retry when the API server answers 422", async () => {
    const stack = await startStack(redis);
    stack.sim.control.setFaults({ verbs: { create: { failNext: 1, code: 422, resources: ["jobs"] } } });
    await stack.startWorker();
    const build = await stack.submit(volumeRequest());

    const done = await stack.waitForTerminal(build.id);

    expect(done).toMatchObject({ state: "failed", failure: { reason: "InvalidRequest" } });
    await expect.poll(async () => (await stack.queue.getJob(build.id))?.attemptsMade, { timeout: 5_000 }).toBe(1);
    expect(await stack.jobsFor(build.id)).toEqual([]);
  });

  it("fails an Unschedulable build when its queue timeout passes, and deletes the Job", async () => {
    const stack = await startStack(redis, {
      kubesim: { scenario: [{ match: { args: "huge" }, attempts: [{ unschedulable: {} }] }] },
    });
    await stack.startWorker();
    const build = await stack.submit(volumeRequest({ timeouts: { queueSeconds: 10 }, buildArgs: { MODE: "huge" } }));

    const done = await stack.waitForTerminal(build.id, 30_000);

    expect(done).toMatchObject({ state: "failed", failure: { reason: "Unschedulable" } });
    expect(done.failure?.message).toMatch(/10 s/);
    expect(done.failure?.message).toContain(": FailedScheduling: 0/1 nodes are available: 1 Insufficient memory");
    await expect.poll(() => stack.jobsFor(build.id), { timeout: 5_000 }).toEqual([]);
  });

  it("fails a build whose registry Secret does not exist after its queue timeout, quoting the kubelet's FailedMount", async () => {
    const stack = await startStack(redis, { kubesim: { checkMounts: true } });
    await stack.startWorker();
    const build = await stack.submit(volumeRequest({ timeouts: { queueSeconds: 10 } })); // mounts Secret regcred, never created

    const done = await stack.waitForTerminal(build.id, 30_000);

    expect(done).toMatchObject({ state: "failed", failure: { reason: "QueueTimeout" } });
    expect(done.failure?.message).toMatch(
      /^not running within 10 s of submission: pod b-[a-z0-9-]+: FailedMount: MountVolume\.SetUp failed for volume "docker-config" : secret "regcred" not found$/,
    );
    await expect.poll(() => stack.jobsFor(build.id), { timeout: 5_000 }).toEqual([]);
  });

  it("reconciles the fleet-wide cap (BullMQ global concurrency) from config at start", async () => {
    const stack = await startStack(redis);
    const capped = await stack.startWorker({ config: { ...stack.config, worker: { ...stack.config.worker, globalConcurrency: 3 } } });
    expect(await stack.queue.getGlobalConcurrency()).toBe(3);
    await capped.stop();

    // A later deployment without a cap removes the one stored in Redis.
    await stack.startWorker();
    expect(await stack.queue.getGlobalConcurrency()).toBeNull();
  });

  it("fails a build whose Job someone deleted before it finished (JobDeleted)", async () => {
    const stack = await startStack(redis, { kubesim: { scenario: [{ match: { args: "forever" }, attempts: [{ hang: {} }] }] } });
    await stack.startWorker();
    const build = await stack.submit(volumeRequest({ buildArgs: { MODE: "forever" } }));
    await stack.waitForEvent(build.id, (e) => e.type === "build.running");
    const [jobName] = await stack.jobsFor(build.id);

    stack.sim.control.store.delete("jobs", "buildfleet", jobName ?? "", { propagationPolicy: "Background" });

    const done = await stack.waitForTerminal(build.id);
    expect(done).toMatchObject({ state: "failed", failure: { reason: "JobDeleted" } });
  });

  it("records cancelled, not failed, when a Job marked for cancel disappears", async () => {
    const stack = await startStack(redis, { kubesim: { scenario: [{ match: { args: "forever" }, attempts: [{ hang: {} }] }] } });
    await stack.startWorker();
    const build = await stack.submit(volumeRequest({ buildArgs: { MODE: "forever" } }));
    await stack.waitForEvent(build.id, (e) => e.type === "build.running");
    const [jobName] = await stack.jobsFor(build.id);

    // The mark without the pub/sub message (as after a missed message), then the Job goes.
    await stack.store.patch(build.id, () => ({ cancelRequestedAt: new Date().toISOString(), cancelledBy: "ops" }));
    stack.sim.control.store.delete("jobs", "buildfleet", jobName ?? "", { propagationPolicy: "Background" });

    const done = await stack.waitForTerminal(build.id);
    expect(done).toMatchObject({ state: "cancelled", cancelledBy: "ops" });
    expect((await stack.store.events(build.id)).some((e) => e.type === "build.failed")).toBe(false);
  });
});
