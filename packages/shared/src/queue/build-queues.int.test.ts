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
    expect(queues.lane()).toBe(queues.lane(DEFAULT_LANE));
    expect(() => queues.queueName("gpu")).toThrow(/unknown lane "gpu"/);
  });

  it("adds builds, tells their position by priority, counts and removes them", async () => {
    const queues = port();
    const [a, b] = [queued(), queued()];
    const urgent = queued("interactive");
    await queues.addBuild(a);
    await queues.addBulk([b, urgent]);

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
    expect(await queues.lane().getGlobalConcurrency()).toBe(7);
    await queues.setGlobalConcurrency(undefined);
    expect(await queues.lane().getGlobalConcurrency()).toBeNull();
  });
});
