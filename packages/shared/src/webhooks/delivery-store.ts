import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { NotFoundError } from "../errors/index.js";
import { webhookKeys, type WebhookKeys } from "./keys.js";
import { DeliveryState, DeliveryView } from "./schemas.js";

/**
 * Durable delivery state in Redis. A delivery is created once per (webhook, event)
 * — its id is derived from both, so re-reading a stream entry after a crash makes
 * no second one — and sits in the `due` sorted set until it ends. Claiming a due
 * delivery pushes its score forward by a lease: a dispatcher that dies mid-attempt
 * loses nothing, the delivery just becomes due again when the lease runs out.
 * One build's events to one webhook form a chain ordered by sequence; only the
 * chain's lowest delivery is due, the next is scheduled when it ends.
 */

/** Terminal deliveries are kept this long for the log and redelivery. */
export const DELIVERY_RETENTION_SECONDS = 7 * 24 * 3600;
/** Entries a webhook's delivery log keeps. */
export const DELIVERY_LOG_CAP = 1_000;
/** Bytes of a response body kept with a delivery. */
export const RESPONSE_EXCERPT_BYTES = 1_024;

export interface NewDelivery {
  tenant: string;
  webhook: string;
  webhookUid: string;
  eventId: string;
  eventType: string;
  buildId: string;
  sequence: number;
  /** The CloudEvent as JSON text. */
  event: string;
}

export interface DeliveryRecord extends DeliveryView {
  tenant: string;
  webhookUid: string;
  sequence: number;
  event: string;
}

const Raw = z.object({
  id: z.string(),
  tenant: z.string(),
  webhook: z.string(),
  webhookUid: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  buildId: z.string(),
  sequence: z.coerce.number().int(),
  event: z.string(),
  state: DeliveryState,
  attempts: z.coerce.number().int(),
  createdAt: z.string(),
  nextAttemptAt: z.string().optional(),
  finishedAt: z.string().optional(),
  lastStatus: z.coerce.number().int().optional(),
  lastError: z.string().optional(),
  responseExcerpt: z.string().optional(),
});

/** Outcome details of an attempt, stored with the delivery. */
export interface AttemptInfo {
  status?: number | undefined;
  error?: string | undefined;
  responseExcerpt?: string | undefined;
}

/** `msg_` + 32 hex digits of SHA-256(webhook uid, event id): stable across retries, redeliveries and crashes. */
export function deliveryId(webhookUid: string, eventId: string): string {
  return `msg_${createHash("sha256").update(`${webhookUid}\0${eventId}`).digest("hex").slice(0, 32)}`;
}

// KEYS: delivery, chain, due, log. ARGV: id, nowMs, sequence, logCap, field, value, …
const ENQUEUE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
if head == ARGV[1] and redis.call('ZCARD', KEYS[2]) == 1 then redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1]) end
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -tonumber(ARGV[4]) - 1)
return 1
`;

// KEYS: due. ARGV: nowMs, leaseUntilMs, count. Due deliveries, each held until the lease ends.
const CLAIM = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids
`;

// KEYS: delivery, chain, due. ARGV: id, nowMs, ttlSeconds, field, value, …
// Ends a delivery and makes the next of its chain due.
const FINISH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('HDEL', KEYS[1], 'nextAttemptAt')
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local nxt = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
if nxt then redis.call('ZADD', KEYS[3], 'NX', ARGV[2], nxt) end
return 1
`;

// KEYS: delivery, due. ARGV: id, nowMs, nowIso. Only a delivery that has ended can be sent again.
const REDELIVER = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 0 end
if state == 'pending' then return 2 end
redis.call('HSET', KEYS[1], 'state', 'pending', 'attempts', '0', 'nextAttemptAt', ARGV[3])
redis.call('HDEL', KEYS[1], 'finishedAt')
redis.call('PERSIST', KEYS[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
`;

const flat = (o: Record<string, string | number | undefined>): string[] =>
  Object.entries(o).flatMap(([k, v]) => (v === undefined ? [] : [k, String(v)]));

export class DeliveryStore {
  readonly keys: WebhookKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = webhookKeys(prefix);
  }

  /** Creates the delivery unless it exists; returns its id and whether it was new. */
  async enqueue(d: NewDelivery, now = new Date()): Promise<{ id: string; created: boolean }> {
    const id = deliveryId(d.webhookUid, d.eventId);
    const fields = flat({ id, ...d, state: "pending", attempts: 0, createdAt: now.toISOString(), nextAttemptAt: now.toISOString() });
    const created = await this.redis.eval(
      ENQUEUE,
      4,
      this.keys.delivery(id),
      this.keys.chain(d.webhookUid, d.buildId),
      this.keys.due,
      this.keys.deliveryLog(d.tenant, d.webhook),
      id,
      now.getTime(),
      d.sequence,
      DELIVERY_LOG_CAP,
      ...fields,
    );
    return { id, created: created === 1 };
  }

  /** Up to `count` due delivery ids, each held for `leaseMs` (it becomes due again if not ended by then). */
  async claimDue(count: number, leaseMs: number, now = Date.now()): Promise<string[]> {
    return (await this.redis.eval(CLAIM, 1, this.keys.due, now, now + leaseMs, count)) as string[];
  }

  /** Drops a due entry whose delivery has ended or expired. */
  async forget(id: string): Promise<void> {
    await this.redis.zrem(this.keys.due, id);
  }

  async load(id: string): Promise<DeliveryRecord | undefined> {
    const raw = await this.redis.hgetall(this.keys.delivery(id));
    if (raw.id === undefined) return undefined;
    return Raw.parse(raw);
  }

  /** Counts an attempt as started; returns its number (1 for the first). */
  async beginAttempt(id: string): Promise<number> {
    return this.redis.hincrby(this.keys.delivery(id), "attempts", 1);
  }

  /** Schedules the next attempt at `atMs` and records why this one failed. */
  async retryAt(id: string, atMs: number, info: AttemptInfo): Promise<void> {
    const key = this.keys.delivery(id);
    await this.redis
      .multi()
      .hdel(key, "lastStatus", "lastError", "responseExcerpt")
      .hset(key, ...flat({ nextAttemptAt: new Date(atMs).toISOString(), ...attemptFields(info) }))
      .zadd(this.keys.due, "XX", atMs, id)
      .exec();
  }

  /** Ends a delivery (delivered or dead-lettered) and makes the next event of its chain due. */
  async finish(d: Pick<DeliveryRecord, "id" | "webhookUid" | "buildId">, state: "delivered" | "dead", info: AttemptInfo, now = new Date()): Promise<void> {
    const key = this.keys.delivery(d.id);
    await this.redis.hdel(key, "lastStatus", "lastError", "responseExcerpt");
    await this.redis.eval(
      FINISH,
      3,
      key,
      this.keys.chain(d.webhookUid, d.buildId),
      this.keys.due,
      d.id,
      now.getTime(),
      DELIVERY_RETENTION_SECONDS,
      ...flat({ state, finishedAt: now.toISOString(), ...attemptFields(info) }),
    );
  }

  /** A webhook's deliveries, newest first; optionally only one state (e.g. dead letters). */
  async list(tenant: string, webhook: string, options: { limit?: number; state?: DeliveryState } = {}): Promise<DeliveryView[]> {
    const log = this.keys.deliveryLog(tenant, webhook);
    await this.redis.zremrangebyscore(log, "-inf", Date.now() - DELIVERY_RETENTION_SECONDS * 1000);
    const ids = await this.redis.zrevrange(log, 0, DELIVERY_LOG_CAP - 1);
    const records = await Promise.all(ids.map((id) => this.load(id)));
    return records
      .filter((r): r is DeliveryRecord => r !== undefined && r.tenant === tenant && (options.state === undefined || r.state === options.state))
      .slice(0, options.limit ?? 100)
      .map(toDeliveryView);
  }

  /** Sends an ended delivery again (same id, attempts from 0). Tenant-checked: another tenant's id is not found. */
  async redeliver(tenant: string, id: string, now = new Date()): Promise<DeliveryView> {
    const record = await this.load(id);
    if (record?.tenant !== tenant) throw new NotFoundError(`no delivery ${id} for tenant ${tenant}`);
    const result = await this.redis.eval(REDELIVER, 2, this.keys.delivery(id), this.keys.due, id, now.getTime(), now.toISOString());
    if (result === 0) throw new NotFoundError(`no delivery ${id} for tenant ${tenant}`);
    const after = await this.load(id);
    if (!after) throw new NotFoundError(`no delivery ${id} for tenant ${tenant}`);
    return toDeliveryView(after);
  }
}

function attemptFields(info: AttemptInfo): Record<string, string | number | undefined> {
  return {
    lastStatus: info.status,
    lastError: info.error?.slice(0, 512),
    responseExcerpt: info.responseExcerpt,
  };
}

export function toDeliveryView(r: DeliveryRecord): DeliveryView {
  const { tenant: _t, webhookUid: _u, sequence: _s, event: _e, ...view } = r;
  return DeliveryView.parse(Object.fromEntries(Object.entries(view).filter(([, v]) => v !== undefined)));
}
