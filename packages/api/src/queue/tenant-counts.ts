import type { BuildQueues, Redis } from "@buildfleet/shared";
import { QUEUE_STATES, type QueueCounts } from "../ops/metrics.js";

/**
 * Queue counts per tenant. BullMQ only counts the whole queue, and a tenant
 * must not see the fleet's load (nor infer other tenants' activity from it),
 * so one Lua pass over the state lists reads each job's tenant from its data
 * and counts per tenant and state. The pass is O(jobs kept), so its result is
 * shared by every tenant and reused for CACHE_MS: the Redis cost is bounded
 * per API process, not per request.
 */

/** BullMQ's key of each state: waiting jobs are in `wait` (paused ones too, in BullMQ ≥ 5). */
const STATE_KEYS: Record<(typeof QUEUE_STATES)[number], string> = {
  waiting: "wait",
  active: "active",
  delayed: "delayed",
  prioritized: "prioritized",
  completed: "completed",
  failed: "failed",
};

export const CACHE_MS = 2_000;

// The job data is a QueuedBuild serialised with buildId then tenant first (submit.ts builds it in
// that order); the anchored pattern reads the tenant without decoding a request of up to 1 MiB, and
// anything else falls back to cjson. Job hashes share the prefix's hash tag (like BullMQ's own scripts).
const SCRIPT = `
local jobPrefix = ARGV[1]
local out = {}
for i, key in ipairs(KEYS) do
  local ids
  if redis.call('TYPE', key)['ok'] == 'list' then ids = redis.call('LRANGE', key, 0, -1) else ids = redis.call('ZRANGE', key, 0, -1) end
  local counts = {}
  for _, id in ipairs(ids) do
    local data = redis.call('HGET', jobPrefix .. id, 'data')
    if data then
      local tenant = string.match(data, '^{"buildId":"[^"]*","tenant":"([^"]*)"')
      if not tenant then
        local ok, decoded = pcall(cjson.decode, data)
        if ok and type(decoded) == 'table' and type(decoded['tenant']) == 'string' then tenant = decoded['tenant'] end
      end
      if tenant then counts[tenant] = (counts[tenant] or 0) + 1 end
    end
  end
  for tenant, n in pairs(counts) do
    out[#out + 1] = i
    out[#out + 1] = tenant
    out[#out + 1] = n
  end
end
return out
`;

function emptyCounts(): QueueCounts {
  return Object.fromEntries(QUEUE_STATES.map((s) => [s, 0])) as QueueCounts;
}

/** Flat [stateIndex (1-based), tenant, count, …] → counts per tenant. */
export function parseTenantCounts(flat: readonly unknown[]): Map<string, QueueCounts> {
  const byTenant = new Map<string, QueueCounts>();
  for (let i = 0; i + 2 < flat.length; i += 3) {
    const state = QUEUE_STATES[Number(flat[i]) - 1];
    const tenant = String(flat[i + 1]);
    if (state === undefined) continue;
    const counts = byTenant.get(tenant) ?? emptyCounts();
    counts[state] = Number(flat[i + 2]);
    byTenant.set(tenant, counts);
  }
  return byTenant;
}

export function createTenantCounts(redis: Redis, queues: Pick<BuildQueues, "redisKey">, now: () => number = Date.now): (tenant: string) => Promise<QueueCounts> {
  let cached: { at: number; value: Promise<Map<string, QueueCounts>> } | undefined;
  // Read-only over BullMQ's layout, keys from the queue port.
  const keys = QUEUE_STATES.map((s) => queues.redisKey(STATE_KEYS[s]));
  const jobPrefix = queues.redisKey("");
  const read = async (): Promise<Map<string, QueueCounts>> =>
    parseTenantCounts((await redis.eval(SCRIPT, keys.length, ...keys, jobPrefix)) as unknown[]);
  return async (tenant) => {
    if (cached === undefined || now() - cached.at >= CACHE_MS) {
      const value = read();
      cached = { at: now(), value };
      // A failed read is not cached.
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
    }
    return (await cached.value).get(tenant) ?? emptyCounts();
  };
}
