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
/**
 * CREATE_BUILD's steps as a Lua function, shared with CREATE_BUILDS. Plain
 * arguments rather than tables: a batch calls it for each of its builds.
 * `index` false: the caller adds the build to the index zset itself (a batch, in one ZADD).
 */
const CREATE_ONE = `
local function create(record, events, history, indexKey, idem, recordJson, state, eventJson, maxlen, created, id, ttl, historyMax, idemValue, index)
  local keyed = tonumber(ttl) > 0
  if keyed then
    local existing = redis.call('GET', idem)
    if existing then return 0, existing end
  end
  if redis.call('EXISTS', record) == 1 then
    -- Created already (by a worker that took the queue entry first): still claim the key.
    if keyed then redis.call('SET', idem, idemValue, 'EX', ttl, 'NX') end
    return 0, idemValue
  end
  redis.call('HSET', record, 'record', recordJson, 'state', state, 'version', 1, 'eventSeq', 1, 'tkey', state)
  local streamId = redis.call('XADD', events, 'MAXLEN', '~', maxlen, '*', 'buildId', id, 'event', eventJson)
  -- A new history holds this one event; trimmed only should an old one be there.
  if redis.call('RPUSH', history, eventJson) > tonumber(historyMax) then redis.call('LTRIM', history, -tonumber(historyMax), -1) end
  if index then redis.call('ZADD', indexKey, created, id) end
  if keyed then redis.call('SET', idem, idemValue, 'EX', ttl) end
  return 1, streamId
end
`;

export const CREATE_BUILD = `${CREATE_ONE}
local created, value = create(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], true)
return {created, value}
`;

/**
 * CREATE_BUILD for many builds in one call (a wave's level), each build
 * created or not exactly as by CREATE_BUILD; what the builds share is sent once.
 * KEYS: 1 events stream, 2 index zset, then per build: record hash, history list, idempotency key (record key when unused)
 * ARGV: 1 stream maxlen, 2 history max, then per build: record json, state, event json, created-at ms, build id,
 *       idempotency ttl s (0 = no key), idempotency value
 * Returns CREATE_BUILD's two values per build, flattened.
 */
export const CREATE_BUILDS = `${CREATE_ONE}
local out = {}
local indexed = {}
for i = 0, (#KEYS - 2) / 3 - 1 do
  local k = 3 + 3 * i
  local a = 3 + 7 * i
  local created, value = create(KEYS[k], KEYS[1], KEYS[k + 1], KEYS[2], KEYS[k + 2], ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[1], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5], ARGV[2], ARGV[a + 6], false)
  out[#out + 1] = created
  out[#out + 1] = value
  if created == 1 then
    indexed[#indexed + 1] = ARGV[a + 3]
    indexed[#indexed + 1] = ARGV[a + 4]
  end
end
-- The batch's new builds in one ZADD (a few hundred pairs: well within unpack's limit).
if #indexed > 0 then redis.call('ZADD', KEYS[2], unpack(indexed)) end
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
