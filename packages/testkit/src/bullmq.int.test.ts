import { Queue, QueueEvents, Worker } from "bullmq";
import { describe, expect, it } from "vitest";
import { useRedis } from "./vitest.js";

describe("the Redis harness with BullMQ", () => {
  const redis = useRedis();

  it("adds a job and a worker processes it against the real Redis", async () => {
    const connection = { url: redis.url, maxRetriesPerRequest: null };
    const queue = redis.track(new Queue("harness", { connection, prefix: redis.prefix }));
    const events = redis.track(new QueueEvents("harness", { connection, prefix: redis.prefix }));
    await events.waitUntilReady();
    redis.track(
      new Worker<{ n: number }, { doubled: number }>(
        "harness",
        async (job) => ({ doubled: job.data.n * 2 }),
        { connection, prefix: redis.prefix },
      ),
    );

    const job = await queue.add("double", { n: 21 });
    const result: unknown = await job.waitUntilFinished(events, 10_000);

    expect(result).toEqual({ doubled: 42 });
    const keys = await redis.connection().keys(`${redis.prefix}:harness:*`);
    expect(keys.length).toBeGreaterThan(0);
  });
});
