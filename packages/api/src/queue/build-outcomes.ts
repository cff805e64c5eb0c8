import { type Keyspace, type Redis } from "@buildfleet/shared";
import { BUILD_STATES, BuildCounts, type BuildState } from "@buildfleet/contract";

/**
 * Builds by state, from the build records (not BullMQ's job counts: a build
 * that failed is a *completed* BullMQ job, so its FAILED count stays 0). Over
 * the builds created within the window, newest first, at most SCAN_MAX of
 * them; one Lua pass counts per tenant and state, and the result is shared by
 * every caller for CACHE_MS, so the Redis cost is bounded per API process.
 */

export const OUTCOME_WINDOW_HOURS = 24;
const SCAN_MAX = 50_000;
const CACHE_MS = 2_000;

// The response shape is the contract's (GET /v1/queue `builds`).
export { BuildCounts };

// Records are JSON with id then tenant first (recordForQueuedBuild's order, kept by every update);
// the anchored pattern avoids decoding a request of up to 1 MiB, cjson is the fallback.
const SCRIPT = `
local ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]) + 1)
local truncated = 0
if #ids > tonumber(ARGV[2]) then truncated = 1; table.remove(ids) end
local counts = {}
for _, id in ipairs(ids) do
  local key = ARGV[3] .. id
  local state = redis.call('HGET', key, 'state')
  local record = redis.call('HGET', key, 'record')
  if state and record then
    local tenant = string.match(record, '^{"id":"[^"]*","tenant":"([^"]*)"')
    if not tenant then
      local ok, decoded = pcall(cjson.decode, record)
      if ok and type(decoded) == 'table' and type(decoded['tenant']) == 'string' then tenant = decoded['tenant'] end
    end
    if tenant then
      local k = tenant .. '\\n' .. state
      counts[k] = (counts[k] or 0) + 1
    end
  end
end
local out = {truncated}
for k, n in pairs(counts) do
  out[#out + 1] = k
  out[#out + 1] = n
end
return out
`;

function empty(truncated: boolean): BuildCounts {
  return { windowHours: OUTCOME_WINDOW_HOURS, truncated, ...(Object.fromEntries(BUILD_STATES.map((s) => [s, 0])) as Record<BuildState, number>) };
}

/** [truncated, "tenant\nstate", n, …] → counts per tenant and for the fleet (key undefined). */
export function parseBuildCounts(flat: readonly unknown[]): { fleet: BuildCounts; byTenant: Map<string, BuildCounts> } {
  const truncated = Number(flat[0]) === 1;
  const fleet = empty(truncated);
  const byTenant = new Map<string, BuildCounts>();
  for (let i = 1; i + 1 < flat.length; i += 2) {
    const [tenant = "", state = ""] = String(flat[i]).split("\n");
    if (!(BUILD_STATES as readonly string[]).includes(state)) continue;
    const n = Number(flat[i + 1]);
    const mine = byTenant.get(tenant) ?? empty(truncated);
    mine[state as BuildState] += n;
    fleet[state as BuildState] += n;
    byTenant.set(tenant, mine);
  }
  return { fleet, byTenant };
}

/** `tenant` undefined: the whole fleet (admin). */
export function createBuildCounts(redis: Redis, ks: Keyspace, now: () => number = Date.now): (tenant?: string) => Promise<BuildCounts> {
  let cached: { at: number; value: Promise<ReturnType<typeof parseBuildCounts>> } | undefined;
  const recordPrefix = ks.build("");
  const read = async (): Promise<ReturnType<typeof parseBuildCounts>> => {
    const since = now() - OUTCOME_WINDOW_HOURS * 3_600_000;
    return parseBuildCounts((await redis.eval(SCRIPT, 1, ks.buildIndex, String(since), String(SCAN_MAX), recordPrefix)) as unknown[]);
  };
  return async (tenant) => {
    if (cached === undefined || now() - cached.at >= CACHE_MS) {
      const value = read();
      cached = { at: now(), value };
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
    }
    const counts = await cached.value;
    return tenant === undefined ? counts.fleet : (counts.byTenant.get(tenant) ?? empty(counts.fleet.truncated));
  };
}
