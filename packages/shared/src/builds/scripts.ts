/**
 * Lua scripts for the build store. Each runs atomically in Redis, so a build
 * record, its event in the stream and its per-build history change together or
 * not at all: a worker that crashes between steps cannot leave one without the
 * other. All keys share the prefix's hash tag (Redis Cluster safe).
 */

/**
 * Create a build record with its first event.
 * KEYS: 1 record hash, 2 events stream, 3 per-build history list, 4 index zset, 5 idempotency key ("" slot unused → pass record key)
 * ARGV: 1 record json, 2 state, 3 event json, 4 stream maxlen, 5 created-at ms, 6 build id, 7 idempotency ttl s (0 = no key), 8 history max,
 *       9 idempotency value (`<buildId> <requestHash>`)
 * Returns: {1, streamId} created; {0, existing idempotency value or buildId} idempotency key or record already taken.
 */
/** CREATE_BUILD's steps as a Lua function of its KEYS and ARGV (tables), shared with CREATE_BUILDS. */
const CREATE_ONE = `
local function create(k, a)
  if tonumber(a[7]) > 0 then
    local existing = redis.call('GET', k[5])
    if existing then return {0, existing} end
  end
  if redis.call('EXISTS', k[1]) == 1 then
    -- Created already (by a worker that took the queue entry first): still claim the key.
    if tonumber(a[7]) > 0 then redis.call('SET', k[5], a[9], 'EX', a[7], 'NX') end
    return {0, a[9]}
  end
  redis.call('HSET', k[1], 'record', a[1], 'state', a[2], 'version', 1, 'eventSeq', 1, 'tkey', a[2])
  local id = redis.call('XADD', k[2], 'MAXLEN', '~', a[4], '*', 'buildId', a[6], 'event', a[3])
  redis.call('RPUSH', k[3], a[3])
  redis.call('LTRIM', k[3], -tonumber(a[8]), -1)
  redis.call('ZADD', k[4], a[5], a[6])
  if tonumber(a[7]) > 0 then
    redis.call('SET', k[5], a[9], 'EX', a[7])
  end
  return {1, id}
end
`;

export const CREATE_BUILD = `${CREATE_ONE}
return create(KEYS, ARGV)
`;

/**
 * CREATE_BUILD for many builds in one call (a wave's level): KEYS and ARGV
 * are CREATE_BUILD's, one build after the other (5 keys, 9 arguments each).
 * Returns CREATE_BUILD's two values per build, flattened.
 */
export const CREATE_BUILDS = `${CREATE_ONE}
local out = {}
for i = 0, #KEYS / 5 - 1 do
  local k = {}
  for j = 1, 5 do k[j] = KEYS[5 * i + j] end
  local a = {}
  for j = 1, 9 do a[j] = ARGV[9 * i + j] end
  local r = create(k, a)
  out[#out + 1] = r[1]
  out[#out + 1] = r[2]
end
return out
`;

/**
 * Compare-and-set update: applies only if the record's version is still the
 * one the caller read, so two workers racing on one build cannot both publish
 * the same transition. `version` counts every write; `eventSeq` counts events
 * (the per-build sequence number consumers see).
 * KEYS: 1 record hash, 2 events stream, 3 per-build history list
 * ARGV: 1 expected version, 2 record json, 3 state, 4 event json ("" = no event),
 *       5 maxlen, 6 build id, 7 transition key, 8 history max
 * Returns: {1, streamId} applied; {0, currentVersion} changed meanwhile (re-read
 * and retry); {-1, ""} record missing.
 */
export const UPDATE_BUILD = `
local version = redis.call('HGET', KEYS[1], 'version')
if not version then return {-1, ''} end
if version ~= ARGV[1] then return {0, version} end
local nextVersion = tonumber(version) + 1
local streamId = ''
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'record', ARGV[2], 'state', ARGV[3], 'version', nextVersion, 'tkey', ARGV[7])
  redis.call('HINCRBY', KEYS[1], 'eventSeq', 1)
  streamId = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'buildId', ARGV[6], 'event', ARGV[4])
  redis.call('RPUSH', KEYS[3], ARGV[4])
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[8]), -1)
else
  redis.call('HSET', KEYS[1], 'record', ARGV[2], 'state', ARGV[3], 'version', nextVersion)
end
return {1, streamId}
`;

/**
 * Idempotency keys and record existence of a batch of builds.
 * KEYS: pairs of (idempotency key, record hash)
 * Returns: per pair the key's value ('' when unset) and 1/0 for the record.
 */
export const FIND_IDEMPOTENT = `
local out = {}
for i = 1, #KEYS, 2 do
  out[#out + 1] = redis.call('GET', KEYS[i]) or ''
  out[#out + 1] = redis.call('EXISTS', KEYS[i + 1])
end
return out
`;
