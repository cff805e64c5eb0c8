export { startRedis, freeLoopbackPort, NoRedisError } from "./redis-server.js";
export type { TestRedis, RedisSource, StartRedisOptions } from "./redis-server.js";
export { countResources, excessOver, expectNoLeaks } from "./leaks.js";
export type { ResourceCounts } from "./leaks.js";
export { useRedis, uniquePrefix } from "./vitest.js";
export type { RedisTestContext, Closable } from "./vitest.js";
export { startWebhookReceiver } from "./webhook-receiver.js";
export type { WebhookReceiver, Received, Respond } from "./webhook-receiver.js";
