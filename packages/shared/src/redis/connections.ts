import { Redis, type RedisOptions } from "ioredis";

export type { Redis } from "ioredis";

/**
 * Connections for long-lived consumers (BullMQ Workers, QueueEvents, stream
 * readers). BullMQ requires `maxRetriesPerRequest: null` here: blocking
 * commands must wait through reconnects instead of failing the worker loop.
 */
export function createWorkerConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: options.connectionName ?? "buildfleet-worker",
    retryStrategy: (times) => Math.min(times * 200, 5_000),
    ...options,
  });
}

/**
 * Connections for producers (the API, the SDK side of the CLI): when Redis is
 * down a request must fail fast with an error, not queue up in memory while the
 * HTTP client waits. So no offline queue and one retry per command.
 */
export function createProducerConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 5_000,
    commandTimeout: 5_000,
    connectionName: options.connectionName ?? "buildfleet-producer",
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...options,
  });
}

/** Resolves once `connection` is ready; rejects after `timeoutMs` (never waits unbounded). */
export function waitForReady(connection: Redis, timeoutMs = 10_000): Promise<void> {
  if (connection.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms (status ${connection.status})`));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error("Redis connection ended before it was ready"));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      connection.off("ready", onReady);
      connection.off("end", onEnd);
    };
    connection.once("ready", onReady);
    connection.once("end", onEnd);
  });
}
