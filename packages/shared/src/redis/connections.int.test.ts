import { useRedis, freeLoopbackPort } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { createProducerConnection, createWorkerConnection, waitForReady } from "./connections.js";

describe("Redis connection factories", () => {
  const redis = useRedis();

  it("worker connections wait through commands (maxRetriesPerRequest null) and work", async () => {
    const conn = redis.track(createWorkerConnection(redis.url));
    await waitForReady(conn, 5_000);
    expect(conn.options.maxRetriesPerRequest).toBeNull();
    await conn.set(`${redis.prefix}:k`, "v");
    expect(await conn.get(`${redis.prefix}:k`)).toBe("v");
  });

  it("producer connections fail fast when Redis is unreachable", async () => {
    const port = await freeLoopbackPort();
    const conn = redis.track(createProducerConnection(`redis://127.0.0.1:${port}`, { retryStrategy: () => null }));
    conn.on("error", () => {});
    await expect(conn.get("x")).rejects.toThrow(/Stream isn't writeable|enableOfflineQueue|Connection is closed/);
    await expect(waitForReady(conn, 200)).rejects.toThrow(/not ready|ended/);
  });
});
