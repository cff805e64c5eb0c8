import { readFileSync } from "node:fs";
import {
  BuildQueues,
  BuildStore,
  bullmqTelemetry,
  createProducerConnection,
  createWorkerConnection,
  keyspace,
  waitForReady,
  type ApiConfig,
  type Logger,
} from "@buildfleet/shared";
import { buildApp } from "./app.js";
import { loadTokens, type TokenTable } from "./auth/tokens.js";
import type { ApiTiming } from "./context.js";
import type { UiOptions } from "./ui/register.js";

export interface RunningApi {
  /** e.g. http://127.0.0.1:8080 (a wildcard listen address is reported as 127.0.0.1). */
  url: string;
  /** Stops listening, ends open streams and closes Redis; idempotent, bounded by `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
}

export interface StartApiOptions {
  /** Tokens to use instead of reading BUILDFLEET_TOKENS_FILE / BUILDFLEET_TOKENS (e.g. a dev stack's). */
  tokens?: TokenTable;
  timing?: Partial<ApiTiming>;
  /** The dashboard at /ui (default: packages/web/dist). */
  ui?: UiOptions;
}

/** Connects to Redis, builds the app and listens on config.api.host:port. */
export async function startApi(config: ApiConfig, logger: Logger, options: StartApiOptions = {}): Promise<RunningApi> {
  const tokens = options.tokens ?? loadTokens(config.api, (path) => readFileSync(path, "utf8"));
  if (tokens.size === 0) logger.warn("no API tokens are configured: every /v1 request will be refused (401)");
  const ks = keyspace(config.redis.prefix);
  const redis = quietOnError(createProducerConnection(config.redis.url, { connectionName: "buildfleet-api" }), logger);
  const streams = new Set<ReturnType<typeof createWorkerConnection>>();
  const queues = new BuildQueues({ connection: redis, keyspace: ks, ...bullmqTelemetry() });
  // Without a listener BullMQ prints each of the queue's connection errors to stderr with a stack, outside
  // the JSON log, every retry while Redis is down; the connection's own listener above reports the outage once.
  queues.onError(() => undefined);
  const closeRedis = async (): Promise<void> => {
    await queues.close().catch(() => undefined);
    for (const conn of streams) conn.disconnect();
    await redis.quit().catch(() => redis.disconnect());
  };
  try {
    await waitForReady(redis, 10_000);
  } catch (err) {
    await closeRedis();
    throw err;
  }
  const app = buildApp({
    config,
    logger,
    redis,
    queues,
    store: new BuildStore({ redis, keyspace: ks, source: "/buildfleet/api" }),
    tokens,
    openStreamConnection: () => {
      const conn = quietOnError(createWorkerConnection(config.redis.url, { connectionName: "buildfleet-api-events" }), logger);
      streams.add(conn);
      conn.once("end", () => streams.delete(conn));
      return conn;
    },
    ...(options.timing ? { timing: options.timing } : {}),
    ...(options.ui ? { ui: options.ui } : {}),
  });
  let address: string;
  try {
    address = await app.listen({ host: config.api.host, port: config.api.port });
  } catch (err) {
    await app.close().catch(() => undefined);
    await closeRedis();
    throw err;
  }
  const url = address.replace("://0.0.0.0", "://127.0.0.1").replace("://[::]", "://127.0.0.1");
  logger.info({ url }, "API listening");

  let closed: Promise<void> | undefined;
  return {
    url,
    close(timeoutMs = config.api.shutdownTimeoutMs) {
      closed ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            logger.warn({ timeoutMs }, "API did not close in time; dropping connections");
            resolve();
          }, timeoutMs);
        });
        await Promise.race([app.close(), timeout]);
        clearTimeout(timer);
        await closeRedis();
      })();
      return closed;
    },
  };
}

/**
 * Without an "error" listener ioredis prints "[ioredis] Unhandled error event"
 * with a stack on every reconnect attempt while Redis is down. One warning per
 * outage instead (again after the connection was ready once more); requests
 * fail on their own with 503 meanwhile.
 */
function quietOnError<T extends { on(event: string, listener: (...args: never[]) => void): unknown }>(conn: T, logger: Logger): T {
  let reported = false;
  conn.on("error", (err: Error) => {
    if (reported) return;
    reported = true;
    logger.warn({ err: { message: err.message, code: (err as { code?: unknown }).code } }, "Redis connection lost; retrying");
  });
  conn.on("ready", () => {
    if (reported) logger.info("Redis connection back");
    reported = false;
  });
  return conn;
}
