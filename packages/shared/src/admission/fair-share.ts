import type { Redis } from "ioredis";
import type { Priority } from "../contract/index.js";
import type { Keyspace } from "../redis/keyspace.js";
import { bandScores, lanePriority, MAX_TAG, tagOfPriority } from "./lane-priority.js";

/**
 * Fair share between tenants inside a lane, as start-time fair queuing over
 * BullMQ priorities (BullMQ's open-source edition has no groups). Each lane
 * keeps a virtual time (the tag of the last build a worker took) and each
 * tenant the tag of its last submitted build; a new build's tag is
 * max(virtual time + 1, tenant's last tag + step/weight). So a tenant that
 * queued 1,000 builds holds tags far ahead, while another tenant's first build
 * lands right after the builds being taken now (the next free slot), and two
 * flooding tenants are admitted interleaved in proportion to their weights.
 *
 * Why this and not per-tenant queues or a Lua fetch gate: the worker keeps
 * BullMQ's own atomic, O(log n) fetch, stalled-job recovery and pause, nothing
 * has to discover tenant queues, and the queue position stays one ZRANK over
 * BullMQ's `:prioritized` set (the order *is* the admission order). The cost:
 * weights apply to admissions, not to running time (a tenant with longer
 * builds holds more slots), and the tag is fixed when the build is queued.
 * A lane's tags start over when none of its builds is waiting, which keeps
 * them inside the band.
 */

/** Tag distance between two builds of a weight-1 tenant; divisible by the weights 1, 2, 3, 4, 6, 12. */
export const TAG_STEP = 12;

const NEXT_TAG = `
local waiting = redis.call('ZCOUNT', KEYS[2], ARGV[3], ARGV[4])
if waiting == 0 then redis.call('DEL', KEYS[1]) end
local v = tonumber(redis.call('HGET', KEYS[1], '~v') or '0')
local last = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local tag = math.max(v + 1, last + tonumber(ARGV[2]))
if tag > tonumber(ARGV[5]) then tag = tonumber(ARGV[5]) end
redis.call('HSET', KEYS[1], ARGV[1], tag)
return tag
`;

/** NEXT_TAG for a list of (tenant, step) pairs from ARGV[4]; the lane is emptied at most once, before the first. */
const NEXT_TAGS = `
local waiting = redis.call('ZCOUNT', KEYS[2], ARGV[1], ARGV[2])
if waiting == 0 then redis.call('DEL', KEYS[1]) end
local v = tonumber(redis.call('HGET', KEYS[1], '~v') or '0')
local max = tonumber(ARGV[3])
local out = {}
-- Each tenant's last tag read once and written once: a wave's level is thousands of builds of a few tenants.
local last = {}
for i = 4, #ARGV, 2 do
  local tenant = ARGV[i]
  if last[tenant] == nil then last[tenant] = tonumber(redis.call('HGET', KEYS[1], tenant) or '0') end
  local tag = math.max(v + 1, last[tenant] + tonumber(ARGV[i + 1]))
  if tag > max then tag = max end
  last[tenant] = tag
  out[#out + 1] = tag
end
for tenant, tag in pairs(last) do redis.call('HSET', KEYS[1], tenant, tag) end
return out
`;

const ADVANCE = `
local v = tonumber(redis.call('HGET', KEYS[1], '~v') or '0')
if tonumber(ARGV[1]) > v then redis.call('HSET', KEYS[1], '~v', ARGV[1]) end
return 1
`;

export function tagStep(weight = 1): number {
  return Math.max(1, Math.round(TAG_STEP / Math.max(weight, 1e-6)));
}

export class FairShare {
  constructor(
    private readonly redis: Redis,
    private readonly ks: Keyspace,
  ) {}

  private key(lane: Priority): string {
    return `${this.ks.bullPrefix}:lanes:fair:${lane}`;
  }

  /** The BullMQ priority of a new build of `tenant` in `lane` (its fair-share tag inside the lane's band). */
  async priority(lane: Priority, tenant: string, weight = 1): Promise<number> {
    const [lo, hi] = bandScores(lane);
    const prioritized = `${this.ks.bullPrefix}:${this.ks.buildQueue}:prioritized`;
    const tag = Number(await this.redis.eval(NEXT_TAG, 2, this.key(lane), prioritized, tenant, tagStep(weight), lo, hi, MAX_TAG));
    return lanePriority(lane, tag);
  }

  /**
   * `priority` for many builds of one lane in one call, in order: the same
   * tags as that many `priority` calls one after the other.
   */
  async priorities(lane: Priority, builds: readonly { tenant: string; weight?: number }[]): Promise<number[]> {
    if (builds.length === 0) return [];
    const [lo, hi] = bandScores(lane);
    const prioritized = `${this.ks.bullPrefix}:${this.ks.buildQueue}:prioritized`;
    const args = builds.flatMap((b) => [b.tenant, tagStep(b.weight)]);
    const tags = (await this.redis.eval(NEXT_TAGS, 2, this.key(lane), prioritized, lo, hi, MAX_TAG, ...args)) as number[];
    return tags.map((tag) => lanePriority(lane, Number(tag)));
  }

  /** A worker took a build of this priority: the lane's virtual time moves up to its tag. */
  async taken(lane: Priority, priority: number): Promise<void> {
    await this.redis.eval(ADVANCE, 1, this.key(lane), tagOfPriority(priority));
  }
}
