import { connect } from "node:net";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { NoRedisError, freeLoopbackPort, startRedis } from "./redis-server.js";

describe("startRedis", () => {
  it("starts a private redis-server on loopback with AOF on, and stops it", async () => {
    const redis = await startRedis({ env: {}, tryContainer: false });
    expect(redis.source).toBe("local");
    expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);

    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      expect(await client.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
      expect(await client.config("GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "noeviction"]);
    } finally {
      client.disconnect();
    }

    await redis.stop();
    const { port } = new URL(redis.url);
    await expect(tcpConnect(Number(port))).rejects.toThrow(/ECONNREFUSED/);
  });

  it("uses REDIS_URL as given and does not stop it", async () => {
    const own = await startRedis({ env: {}, tryContainer: false });
    try {
      const viaEnv = await startRedis({ env: { REDIS_URL: own.url } });
      expect(viaEnv).toMatchObject({ url: own.url, source: "env" });
      await viaEnv.stop();
      const client = new Redis(own.url, { maxRetriesPerRequest: 1 });
      expect(await client.ping()).toBe("PONG");
      client.disconnect();
    } finally {
      await own.stop();
    }
  });

  it("fails with one message naming all three ways when none works", async () => {
    const error = await startRedis({
      env: {},
      redisServerBin: "/nonexistent/redis-server",
      tryContainer: false,
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(NoRedisError);
    const message = (error as Error).message;
    expect(message).toContain("REDIS_URL: not set");
    expect(message).toContain("redis-server on PATH: binary not found");
    expect(message).toContain("testcontainers");
    expect(message).toContain("apt-get install -y redis-server");
  });

  it("rejects a REDIS_URL nobody listens on", async () => {
    const port = await freeLoopbackPort();
    await expect(startRedis({ env: { REDIS_URL: `redis://127.0.0.1:${port}` }, startTimeoutMs: 2_000 })).rejects.toThrow();
  });
});

function tcpConnect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
    socket.once("error", reject);
  });
}
