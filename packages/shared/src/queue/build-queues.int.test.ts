import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { newBuildId, parseBuildRequest, type QueuedBuild } from "../contract/index.js";
import { keyspace } from "../redis/keyspace.js";
import { BuildQueues, DEFAULT_LANE } from "./build-queues.js";

const request = parseBuildRequest({
  context: { type: "volume", claimName: "ws", path: "app" },
  destinations: ["registry.internal:5000/team/app:v1.0.0"],
});

function queued(priority: QueuedBuild["request"]["priority"] = "normal"): QueuedBuild {
  return { buildId: newBuildId(), tenant: "t", request: { ...request, priority }, submittedAt: new Date().toISOString() };
}

describe("BuildQueues (the queue port)", () => {
  const redis = useRedis();
  const port = (): BuildQueues => {
    const queues = new BuildQueues({ connection: redis.connection(), keyspace: keyspace(redis.prefix) });
    redis.track({ close: () => queues.close() });
    return queues;
  };

  it("keeps the one default lane on the queue buildfleet always used", () => {
    const queues = port();
    expect(queues.lanes()).toEqual([DEFAULT_LANE]);
    expect(queues.queueName()).toBe(keyspace(redis.prefix).buildQueue);
    expect(queues.redisKey("prioritized")).toBe(`${keyspace(redis.prefix).bullPrefix}:${keyspace(redis.prefix).buildQueue}:prioritized`);
    expect(() => queues.queueName("gpu")).toThrow(/unknown lane "gpu"/);
  });

  it("adds builds, tells their position by priority, counts and removes them", async () => {
    const queues = port();
    const [a, b] = [queued(), queued()];
    const urgent = queued("interactive");
    await queues.addBuild(a);
    await queues.addBuilds([b, urgent]);

    expect(await queues.position(urgent.buildId)).toBe(1);
    expect(await queues.position(a.buildId)).toBe(2);
    expect(await queues.position(b.buildId)).toBe(3);
    expect((await queues.counts()).prioritized).toBe(3);

    expect(await queues.remove(a.buildId)).toBe(1);
    expect(await queues.position(a.buildId)).toBeUndefined();
    expect(await queues.position(b.buildId)).toBe(2);
  });

  it("pauses and resumes every lane, and sets the fleet-wide cap", async () => {
    const queues = port();
    await queues.pause();
    expect(await queues.isPaused()).toBe(true);
    await queues.resume();
    expect(await queues.isPaused()).toBe(false);
    await queues.setGlobalConcurrency(7);
    expect(await queues.globalConcurrency()).toBe(7);
    await queues.setGlobalConcurrency(undefined);
    expect(await queues.globalConcurrency()).toBeUndefined();
  });

  it("lists ids by state, tells a build's entry, moves its priority and wipes every lane", async () => {
    const queues = port();
    const [a, b] = [queued("bulk"), queued()];
    await queues.addBuilds([a, b]);

    expect((await queues.jobIds(["prioritized", "wait"])).sort()).toEqual([a.buildId, b.buildId].sort());
    expect(await queues.jobIds(["active"])).toEqual([]);
    const entry = await queues.job(a.buildId);
    expect(entry).toMatchObject({ buildId: a.buildId, lane: DEFAULT_LANE });
    expect(await queues.job("b-none")).toBeUndefined();

    // Ahead of b: position follows the new priority.
    expect(await queues.changePriority(a.buildId, 1)).toBe(true);
    expect((await queues.job(a.buildId))?.priority).toBe(1);
    expect(await queues.position(a.buildId)).toBe(1);
    expect(await queues.changePriority("b-none", 1)).toBe(false);

    await queues.obliterate();
    expect(await queues.jobIds(["prioritized", "wait"])).toEqual([]);
  });
});
