import type { TestProject } from "vitest/node";
// Relative import: vitest loads global setup files without the "source" condition.
import { startRedis } from "../packages/testkit/src/index.js";

/**
 * One real Redis for the whole integration run (REDIS_URL, else a private
 * redis-server, else testcontainers). Tests isolate by key prefix.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedis();
  project.provide("redisUrl", redis.url);
  console.log(`[global-setup] Redis for integration tests: ${redis.url} (${redis.source})`);
  return () => redis.stop();
}
