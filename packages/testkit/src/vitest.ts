import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, inject } from "vitest";
import { countResources, expectNoLeaks, type ResourceCounts } from "./leaks.js";
import { startRedis, type TestRedis } from "./redis-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Set by test/global-setup.ts for the integration project. */
    redisUrl: string;
  }
}

/** Anything a test opens and the harness must close. */
export type Closable =
  | { close(): Promise<unknown> }
  | { quit(): Promise<unknown> }
  | { disconnect(): void };

export interface RedisTestContext {
  /** URL of the real Redis for this file. */
  readonly url: string;
  /** A key prefix unique to the current test, with a Redis Cluster hash tag. */
  readonly prefix: string;
  /** Registers something the harness closes after the test (in reverse order). */
  track<T extends Closable>(resource: T): T;
  /** A tracked ioredis connection for assertions (worker-style options). */
  connection(): Redis;
}

/** A fresh `{bft-…}` prefix: each test gets its own key space. */
export function uniquePrefix(): string {
  return `{bft-${randomBytes(5).toString("hex")}}`;
}

/**
 * Registers vitest hooks giving each test a real Redis, a unique key prefix and
 * a leak check: after each test, every tracked resource is closed, the test's
 * keys are deleted, and any socket, server, child process or timer still open
 * beyond what was open before the test fails it.
 */
export function useRedis(): RedisTestContext {
  let redis: TestRedis | undefined;
  let ownsServer = false;
  let prefix = "";
  let baseline: ResourceCounts = {};
  let tracked: Closable[] = [];

  beforeAll(async () => {
    const provided = safeInject();
    if (provided) {
      redis = { url: provided, source: "env", stop: async () => {} };
    } else {
      redis = await startRedis();
      ownsServer = true;
    }
  });

  beforeEach(() => {
    prefix = uniquePrefix();
    tracked = [];
    baseline = countResources();
  });

  afterEach(async () => {
    const toClose = tracked.reverse();
    tracked = [];
    for (const resource of toClose) await closeQuietly(resource);
    if (redis) await deleteKeys(redis.url, prefix);
    await expectNoLeaks(baseline);
  });

  afterAll(async () => {
    if (redis && ownsServer) await redis.stop();
  });

  const ctx: RedisTestContext = {
    get url() {
      if (!redis) throw new Error("useRedis(): Redis is not started yet (use it inside a test or hook)");
      return redis.url;
    },
    get prefix() {
      return prefix;
    },
    track(resource) {
      tracked.push(resource);
      return resource;
    },
    connection() {
      return ctx.track(new Redis(ctx.url, { maxRetriesPerRequest: null }));
    },
  };
  return ctx;
}

function safeInject(): string | undefined {
  try {
    return inject("redisUrl");
  } catch {
    return undefined;
  }
}

async function closeQuietly(resource: Closable): Promise<void> {
  try {
    if ("close" in resource) await resource.close();
    else if ("quit" in resource) await resource.quit();
    else resource.disconnect();
  } catch {
    // Already closed or broken: the leak check below still tells if it lingers.
  }
}

/** Removes the test's keys (bounded SCAN) so a shared REDIS_URL stays clean. */
async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await client.connect();
    let cursor = "0";
    for (let round = 0; round < 10_000; round++) {
      const [next, keys] = await client.scan(cursor, "MATCH", `${escapeGlob(prefix)}*`, "COUNT", 1000);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
      if (cursor === "0") break;
    }
  } finally {
    client.disconnect();
  }
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, "\\$&");
}
