import { BUILD_JOB_NAME, buildJobOptions, recordForQueuedBuild } from "@buildfleet/shared";
import { newBuildId, parseBuildRequest, type QueuedBuild } from "@buildfleet/contract";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { startStack, volumeRequest, type Stack } from "../test-support/stack.js";

/** The retry table applied by the worker, against real Redis and kubesim. */
describe("worker: the retry table end to end", () => {
  const redis = useRedis();

  const terminalEvents = async (stack: Stack, buildId: string): Promise<string[]> =>
    (await stack.store.events(buildId)).map((e) => e.type).filter((t) => t === "build.succeeded" || t === "build.failed" || t === "build.cancelled");

  it("fails a build at once with PermissionDenied when the API server answers 403 on Job create", async () => {
    const stack = await startStack(redis);
    stack.sim.control.setFaults({ verbs: { create: { errorRate: 1, code: 403, resources: ["jobs"] } } });
    await stack.startWorker();
    stack.sim.control.resetRequestCounts();
    const build = await stack.submit(volumeRequest());

    const done = await stack.waitForTerminal(build.id, 20_000);

    expect(done.state).toBe("failed");
    expect(done.failure?.reason).toBe("PermissionDenied");
    // The cause names what RBAC is missing: verb, resource and namespace.
    expect(done.failure?.message).toMatch(/cannot create resource "jobs" in API group "batch" in the namespace "buildfleet"/);
    await expect.poll(async () => (await stack.queue.getJob(build.id))?.finishedOn, { timeout: 5_000 }).toBeDefined();
    expect((await stack.queue.getJob(build.id))?.attemptsMade).toBe(1);
    expect(stack.sim.control.requestCounts()["create jobs"]).toBe(1);
    expect(await terminalEvents(stack, build.id)).toEqual(["build.failed"]);
  });

  it("ends the build failed with the last error when every queue attempt hits a 500, then stays failed", async () => {
    const stack = await startStack(redis);
    stack.sim.control.setFaults({ verbs: { create: { errorRate: 1, code: 500, resources: ["jobs"] } } });
    await stack.startWorker();
    stack.sim.control.resetRequestCounts();
    // The production options with a short, fixed backoff so three attempts take well under a second.
    const build: QueuedBuild = {
      buildId: newBuildId(),
      tenant: "team-a",
      request: parseBuildRequest(volumeRequest()),
      submittedAt: new Date().toISOString(),
    };
    await stack.queue.add(BUILD_JOB_NAME, build, { ...buildJobOptions(build), attempts: 3, backoff: { type: "fixed", delay: 100 } });
    await stack.store.create(recordForQueuedBuild(build));

    const done = await stack.waitForTerminal(build.buildId, 20_000);

    expect(done.state).toBe("failed");
    expect(done.failure?.reason).toBe("InfrastructureError");
    expect(done.failure?.message).toMatch(/^gave up after 3 attempts: .*500/);
    await expect.poll(async () => (await stack.queue.getJob(build.buildId))?.finishedOn, { timeout: 5_000 }).toBeDefined();
    expect((await stack.queue.getJob(build.buildId))?.attemptsMade).toBe(3);
    expect(stack.sim.control.requestCounts()["create jobs"]).toBe(3);
    // The API server recovers: nothing runs the build again, and it has exactly one terminal event.
    stack.sim.control.clearFaults();
    expect(await stack.queue.getJobCounts("wait", "active", "delayed", "prioritized")).toEqual({ wait: 0, active: 0, delayed: 0, prioritized: 0 });
    expect(await terminalEvents(stack, build.buildId)).toEqual(["build.failed"]);
    expect(await stack.jobsFor(build.buildId)).toEqual([]);
  });
});
