import type { Redis } from "ioredis";

/**
 * A counting semaphore across the fleet: a sorted set of build ids scored by
 * lease expiry. Acquire is atomic (expired leases dropped, then admitted
 * while fewer than `limit` hold one, or already held); the holder renews its
 * lease while the build runs, so a worker that dies frees its slots when
 * their leases expire. The set itself expires after two leases untouched.
 * Tenant caps (one set per tenant) and the fleet-wide interactive
 * reservation (one shared set) are both this.
 */

const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
`;

export class LeaseSet {
  constructor(private readonly redis: Redis) {}

  /** Takes one of the set's `limit` leases for the build; false when all are taken. */
  async acquire(key: string, buildId: string, limit: number, leaseMs: number, now = Date.now()): Promise<boolean> {
    const ok = await this.redis.eval(ACQUIRE, 1, key, buildId, now, now + leaseMs, limit, leaseMs * 2);
    return Number(ok) === 1;
  }

  async renew(key: string, buildId: string, leaseMs: number, now = Date.now()): Promise<void> {
    await this.redis.zadd(key, "XX", now + leaseMs, buildId);
    await this.redis.pexpire(key, leaseMs * 2);
  }

  async release(key: string, buildId: string): Promise<void> {
    await this.redis.zrem(key, buildId);
  }

  /** Leases held (not expired) now. */
  async held(key: string, now = Date.now()): Promise<number> {
    return this.redis.zcount(key, now, "+inf");
  }
}
