import { createLogger, laneOfPriority } from "@buildfleet/shared";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { startStack, volumeRequest } from "../test-support/stack.js";
import { ageBulkBuilds } from "./bulk-aging.js";

describe("lanes: bulk aging", () => {
  const redis = useRedis();

  it("moves a bulk build that waited past the bound ahead of normal builds, and leaves young ones", async () => {
    const stack = await startStack(redis);
    const old = await stack.submit(volumeRequest({ priority: "bulk" }), "platform");
    await new Promise((r) => setTimeout(r, 20));
    const young = await stack.submit(volumeRequest({ priority: "bulk" }), "platform");
    const normal = await stack.submit(volumeRequest(), "team-a");
    const youngAt = (await stack.queue.getJob(young.id))?.timestamp ?? 0;

    // An hour's bound, seen from exactly one hour after the young build came: only the old one is past it.
    const moved = await ageBulkBuilds(redis.connection(), stack.queues, 3_600_000, createLogger({ name: "t", level: "silent" }), youngAt + 3_600_000);

    expect(moved).toBe(1);
    expect(laneOfPriority((await stack.queue.getJob(old.id))?.priority ?? 0)).toBe("normal");
    const order = await redis.connection().zrange(stack.queue.toKey("prioritized"), "0", "-1");
    expect(order.indexOf(old.id)).toBeLessThan(order.indexOf(normal.id));
    expect(order.at(-1)).toBe(young.id);
  });
});
