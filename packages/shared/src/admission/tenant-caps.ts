import type { Redis } from "ioredis";
import type { Keyspace } from "../redis/keyspace.js";
import { LeaseSet } from "./lease-set.js";

/**
 * Per-tenant caps across the fleet (token configuration: maxRunning,
 * maxQueued). The API records each tenant's maxRunning when it submits for
 * it (the worker never sees the token file); a worker takes a build only
 * after an atomic acquire on the tenant's running set, a sorted set of build
 * ids scored by lease expiry: the worker renews the leases of its in-flight
 * builds, so a worker that dies frees its tenant's slots after the lease.
 */


// Waiting builds of one tenant (wait, prioritized, delayed), reading the tenant from each job's data
// like the API's tenant counts (the data starts with buildId then tenant). O(waiting builds).
const QUEUED = `
local n = 0
for i, key in ipairs(KEYS) do
  local ids
  if redis.call('TYPE', key)['ok'] == 'list' then ids = redis.call('LRANGE', key, 0, -1) else ids = redis.call('ZRANGE', key, 0, -1) end
  for _, id in ipairs(ids) do
    local data = redis.call('HGET', ARGV[1] .. id, 'data')
    if data and string.match(data, '^{"buildId":"[^"]*","tenant":"([^"]*)"') == ARGV[2] then n = n + 1 end
  end
end
return n
`;

export interface TenantCaps {
  maxRunning?: number;
  maxQueued?: number;
}

export class TenantCapStore {
  private readonly leases: LeaseSet;

  constructor(
    private readonly redis: Redis,
    private readonly ks: Keyspace,
  ) {
    this.leases = new LeaseSet(redis);
  }

  private get policyKey(): string {
    return `${this.ks.bullPrefix}:lanes:max-running`;
  }

  private runningKey(tenant: string): string {
    return `${this.ks.bullPrefix}:lanes:running:${tenant}`;
  }

  /** Records (or clears) the tenant's maxRunning for the workers. */
  async publish(tenant: string, maxRunning: number | undefined): Promise<void> {
    if (maxRunning === undefined) await this.redis.hdel(this.policyKey, tenant);
    else await this.redis.hset(this.policyKey, tenant, String(maxRunning));
  }

  /** Every published maxRunning. */
  async maxRunning(): Promise<Map<string, number>> {
    const all = await this.redis.hgetall(this.policyKey);
    return new Map(Object.entries(all).map(([t, v]) => [t, Number(v)]));
  }

  /** Takes one of the tenant's `max` running slots for the build; false when all are taken. */
  acquire(tenant: string, buildId: string, max: number, leaseMs: number, now = Date.now()): Promise<boolean> {
    return this.leases.acquire(this.runningKey(tenant), buildId, max, leaseMs, now);
  }

  renew(tenant: string, buildId: string, leaseMs: number, now = Date.now()): Promise<void> {
    return this.leases.renew(this.runningKey(tenant), buildId, leaseMs, now);
  }

  release(tenant: string, buildId: string): Promise<void> {
    return this.leases.release(this.runningKey(tenant), buildId);
  }

  /** Builds holding one of the tenant's running slots now. */
  running(tenant: string, now = Date.now()): Promise<number> {
    return this.leases.held(this.runningKey(tenant), now);
  }

  /** The tenant's builds waiting in the queue (O(waiting builds): asked only for a tenant with a maxQueued). */
  async queued(tenant: string): Promise<number> {
    const q = `${this.ks.bullPrefix}:${this.ks.buildQueue}`;
    return Number(await this.redis.eval(QUEUED, 3, `${q}:wait`, `${q}:prioritized`, `${q}:delayed`, `${q}:`, tenant));
  }
}
