import { laneOfPriority, type BuildQueues, type Redis } from "@buildfleet/shared";
import { type Priority } from "@buildfleet/contract";

/**
 * Queue depth by lane and tenant for /metrics (BullMQ only counts the whole
 * queue). One Lua pass over the waiting, active and delayed jobs reads each
 * job's tenant (from the start of its data, as tenant-counts.ts does) and its
 * priority, which is its lane. The pass is O(jobs in the queue), so one read
 * is shared by every scrape within CACHE_MS; a failed read is not kept.
 */
export const QUEUE_DEPTH_CACHE_MS = 5_000;
/** Tenant label values per scrape (sorted by name, the rest summed as _other): labels stay bounded. */
export const MAX_TENANT_LABELS = 50;
export const OTHER_TENANT = "_other";

export const DEPTH_STATES = ["waiting", "active", "delayed"] as const;
export type DepthState = (typeof DEPTH_STATES)[number];

/** BullMQ's keys, in the script's KEYS order, and the state each counts towards. */
const KEYS: ReadonlyArray<{ key: string; state: DepthState }> = [
  { key: "wait", state: "waiting" },
  { key: "prioritized", state: "waiting" },
  { key: "active", state: "active" },
  { key: "delayed", state: "delayed" },
];

const SCRIPT = `
local jobPrefix = ARGV[1]
local out = {}
for i, key in ipairs(KEYS) do
  local ids
  if redis.call('TYPE', key)['ok'] == 'list' then ids = redis.call('LRANGE', key, 0, -1) else ids = redis.call('ZRANGE', key, 0, -1) end
  local counts = {}
  for _, id in ipairs(ids) do
    local fields = redis.call('HMGET', jobPrefix .. id, 'data', 'priority')
    local data = fields[1]
    if data then
      local tenant = string.match(data, '^{"buildId":"[^"]*","tenant":"([^"]*)"')
      if not tenant then
        local ok, decoded = pcall(cjson.decode, data)
        if ok and type(decoded) == 'table' and type(decoded['tenant']) == 'string' then tenant = decoded['tenant'] end
      end
      if tenant then
        local k = (fields[2] or '0') .. ' ' .. tenant
        counts[k] = (counts[k] or 0) + 1
      end
    end
  end
  for k, n in pairs(counts) do
    out[#out + 1] = i
    out[#out + 1] = k
    out[#out + 1] = n
  end
end
return out
`;

export interface DepthSample {
  lane: Priority;
  tenant: string;
  state: DepthState;
  jobs: number;
}

/** Flat [keyIndex (1-based), "priority tenant", count, …] → samples, tenants bounded (pure). */
export function parseDepth(flat: readonly unknown[], maxTenants = MAX_TENANT_LABELS): DepthSample[] {
  const sums = new Map<string, DepthSample>();
  const rows: DepthSample[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    const state = KEYS[Number(flat[i]) - 1]?.state;
    const [priority = "", tenant = ""] = String(flat[i + 1]).split(" ", 2);
    const lane = laneOfPriority(Number(priority));
    if (state === undefined || lane === undefined || tenant === "") continue;
    rows.push({ lane, tenant, state, jobs: Number(flat[i + 2]) });
  }
  const kept = new Set([...new Set(rows.map((r) => r.tenant))].sort().slice(0, maxTenants));
  for (const row of rows) {
    const tenant = kept.has(row.tenant) ? row.tenant : OTHER_TENANT;
    const key = `${row.lane} ${tenant} ${row.state}`;
    const sum = sums.get(key);
    if (sum) sum.jobs += row.jobs;
    else sums.set(key, { ...row, tenant });
  }
  return [...sums.values()];
}

export function createQueueDepthReader(redis: Redis, queues: Pick<BuildQueues, "redisKey">, now: () => number = Date.now): () => Promise<DepthSample[]> {
  let cached: { at: number; value: Promise<DepthSample[]> } | undefined;
  // Read-only over BullMQ's layout, keys from the queue port (BullMQ counts no tenant or lane).
  const keys = KEYS.map((k) => queues.redisKey(k.key));
  const read = async (): Promise<DepthSample[]> => {
    return parseDepth((await redis.eval(SCRIPT, keys.length, ...keys, queues.redisKey(""))) as unknown[]);
  };
  return () => {
    if (cached === undefined || now() - cached.at >= QUEUE_DEPTH_CACHE_MS) {
      const entry = { at: now(), value: read() };
      cached = entry;
      entry.value.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.value;
  };
}
