import { Cluster, Redis, type RedisOptions } from "ioredis";
import { parseRedisUrl } from "./redis-url.js";

export type { Redis } from "ioredis";

/**
 * One Redis or, when `url` is `redis+cluster://…`, an ioredis Cluster client.
 * The Cluster is returned as `Redis`: both expose the same commands, events,
 * `status`, `duplicate()` and `quit()` that buildfleet and BullMQ use, and
 * BullMQ detects a Cluster itself. Every key carries the `{tag}` of the prefix,
 * so every multi-key command and Lua script stays inside one slot.
 */
function connect(url: string, options: RedisOptions, clusterRetry: (times: number) => number): Redis {
  const target = parseRedisUrl(url);
  if (target.kind === "single") return new Redis(url, options);
  const { enableOfflineQueue, enableReadyCheck, enableAutoPipelining, retryStrategy: _single, ...perNode } = options;
  const cluster = new Cluster(target.nodes, {
    redisOptions: {
      ...perNode,
      ...(target.username !== undefined ? { username: target.username } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    ...(enableReadyCheck !== undefined ? { enableReadyCheck } : {}),
    ...(enableAutoPipelining !== undefined ? { enableAutoPipelining } : {}),
    clusterRetryStrategy: clusterRetry,
  });
  return cluster as unknown as Redis;
}

/**
 * Connections for long-lived consumers (BullMQ Workers, QueueEvents, stream
 * readers). BullMQ requires `maxRetriesPerRequest: null` here: blocking
 * commands must wait through reconnects instead of failing the worker loop.
 */
export function createWorkerConnection(url: string, options: RedisOptions = {}): Redis {
  const retry = (times: number): number => Math.min(times * 200, 5_000);
  return connect(
    url,
    {
      maxRetriesPerRequest: null,
      enableReadyCheck: true,
      connectionName: options.connectionName ?? "buildfleet-worker",
      retryStrategy: retry,
      ...options,
    },
    retry,
  );
}

/**
 * Connections for producers (the API, the SDK side of the CLI): when Redis is
 * down a request must fail fast with an error, not queue up in memory while the
 * HTTP client waits. So no offline queue and one retry per command.
 */
export function createProducerConnection(url: string, options: RedisOptions = {}): Redis {
  const retry = (times: number): number => Math.min(times * 200, 2_000);
  return connect(
    url,
    {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 5_000,
      commandTimeout: 5_000,
      connectionName: options.connectionName ?? "buildfleet-producer",
      retryStrategy: retry,
      ...options,
    },
    retry,
  );
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
