import { z } from "zod";
import { ScheduleRunView } from "@buildfleet/contract";
import type { Redis } from "../redis/connections.js";
import { Schedule } from "./schedule.js";

/**
 * Schedules, their firing cursor and their run history in Redis.
 *
 *   <prefix>:schedules                 hash  <tenant>/<name> → StoredSchedule JSON
 *   <prefix>:schedule:<id>:state       hash  handledAt (ms of the last scheduled time handled), triggerAt, triggerHandledAt
 *   <prefix>:schedule:<id>:runs        hash  <fire ms> → ScheduleRun JSON (one entry per firing: a replay overwrites it)
 *   <prefix>:schedule:<id>:run-index   zset  <fire ms> scored by itself, for the newest-first history
 *   <prefix>:schedule:<id>:lock        string  owner token while one scheduler fires this schedule
 *   <prefix>:schedules:triggers        set     ids with a manual trigger not handled yet
 *   <prefix>:schedules:version         string  bumped by every put/delete (suspend/resume are puts)
 *   <prefix>:schedules:changes         zset    id scored by the version of its last put/delete
 *
 * The version and the change entry are written in the same script as the
 * schedule itself, so the scheduler's owner can reconcile only what changed
 * since the version it last applied instead of re-reading every schedule.
 *
 * The run and the cursor are written in one MULTI: a scheduler killed before
 * it fires again from the same cursor, and the submit's idempotency key makes
 * the replay the same build.
 */

export const MAX_RUN_HISTORY = 50;

/** One firing as the store keeps it: the contract's answer shape (one schema, so the two cannot drift). */
export const ScheduleRun = ScheduleRunView;
export type ScheduleRun = ScheduleRunView;

export const StoredSchedule = z.strictObject({
  tenant: z.string(),
  schedule: Schedule,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type StoredSchedule = z.infer<typeof StoredSchedule>;

export interface ScheduleState {
  handledAt: number | undefined;
  triggerAt: number | undefined;
  triggerHandledAt: number | undefined;
}

/** KEYS: index, version, changes, then keys to delete with it. ARGV: id, JSON (absent: delete). Returns 1 when the field existed before. */
const WRITE = `local v = redis.call("incr", KEYS[2])
local existed
if ARGV[2] then existed = 1 - redis.call("hset", KEYS[1], ARGV[1], ARGV[2]) else existed = redis.call("hdel", KEYS[1], ARGV[1]) end
redis.call("zadd", KEYS[3], v, ARGV[1])
for i = 4, #KEYS do redis.call("del", KEYS[i]) end
return existed`;

/** What changed after a version: ids (each once, put or deleted) and the version they bring the reader to. */
export interface ScheduleChanges {
  version: number;
  ids: string[];
}

const UNLOCK = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`;

export const scheduleId = (tenant: string, name: string): string => `${encodeURIComponent(tenant)}/${name}`;

export class ScheduleStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get index(): string {
    return `${this.prefix}:schedules`;
  }
  private key(id: string, part: string): string {
    return `${this.prefix}:schedule:${id}:${part}`;
  }

  /** Creates or replaces; the creation time (where firing starts from) is kept across updates. */
  async put(tenant: string, schedule: Schedule): Promise<{ created: boolean; stored: StoredSchedule }> {
    const id = scheduleId(tenant, schedule.metadata.name);
    const existing = await this.get(tenant, schedule.metadata.name);
    const now = this.now().toISOString();
    const stored: StoredSchedule = { tenant, schedule, createdAt: existing?.createdAt ?? now, updatedAt: now };
    await this.write(id, JSON.stringify(stored));
    return { created: existing === undefined, stored };
  }

  async get(tenant: string, name: string): Promise<StoredSchedule | undefined> {
    const raw = await this.redis.hget(this.index, scheduleId(tenant, name));
    return raw === null ? undefined : StoredSchedule.parse(JSON.parse(raw));
  }

  /** Every schedule, or one tenant's, sorted by name. An entry that no longer parses (a newer writer) is left out rather than stop every other schedule. */
  async list(tenant?: string): Promise<StoredSchedule[]> {
    const all = Object.values(await this.redis.hgetall(this.index)).flatMap((raw) => {
      try {
        return [StoredSchedule.parse(JSON.parse(raw))];
      } catch {
        return [];
      }
    });
    return all.filter((s) => tenant === undefined || s.tenant === tenant).sort((a, b) => a.schedule.metadata.name.localeCompare(b.schedule.metadata.name));
  }

  async delete(tenant: string, name: string): Promise<boolean> {
    const id = scheduleId(tenant, name);
    return this.write(id, undefined, [this.key(id, "state"), this.key(id, "runs"), this.key(id, "run-index")]);
  }

  private get versionKey(): string {
    return `${this.prefix}:schedules:version`;
  }
  private get changesKey(): string {
    return `${this.prefix}:schedules:changes`;
  }

  /** The schedule, its version bump and its change entry, atomically (one script). */
  private async write(id: string, json?: string, alsoDelete: readonly string[] = []): Promise<boolean> {
    const keys = [this.index, this.versionKey, this.changesKey, ...alsoDelete];
    const args = json === undefined ? [id] : [id, json];
    return (await this.redis.eval(WRITE, keys.length, ...keys, ...args)) === 1;
  }

  /** The current version: read before a full list, every change after it shows up in `changesSince`. */
  async version(): Promise<number> {
    return Number((await this.redis.get(this.versionKey)) ?? 0);
  }

  /** Ids put or deleted after `version` (one ZRANGEBYSCORE; nothing changed: no schedule is read). */
  async changesSince(version: number): Promise<ScheduleChanges> {
    const flat = await this.redis.zrangebyscore(this.changesKey, `(${version}`, "+inf", "WITHSCORES");
    const ids: string[] = [];
    let to = version;
    for (let i = 0; i < flat.length; i += 2) {
      ids.push(flat[i]!);
      to = Math.max(to, Number(flat[i + 1]));
    }
    return { version: to, ids };
  }

  /** Drops change entries at or below `version`: only an owner that applied them reads them, and a new owner lists everything. */
  async trimChanges(version: number): Promise<void> {
    await this.redis.zremrangebyscore(this.changesKey, "-inf", version);
  }

  /** Several schedules by id, one HMGET; an absent id (deleted) or one that no longer parses maps to undefined. */
  async getMany(ids: readonly string[]): Promise<Map<string, StoredSchedule | undefined>> {
    const out = new Map<string, StoredSchedule | undefined>();
    if (ids.length === 0) return out;
    const raws = await this.redis.hmget(this.index, ...ids);
    ids.forEach((id, i) => {
      const raw = raws[i];
      let parsed: StoredSchedule | undefined;
      try {
        parsed = raw === null || raw === undefined ? undefined : StoredSchedule.parse(JSON.parse(raw));
      } catch {
        parsed = undefined;
      }
      out.set(id, parsed);
    });
    return out;
  }

  async state(id: string): Promise<ScheduleState> {
    const h = await this.redis.hgetall(this.key(id, "state"));
    const n = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    return { handledAt: n(h["handledAt"]), triggerAt: n(h["triggerAt"]), triggerHandledAt: n(h["triggerHandledAt"]) };
  }

  /** Asks the scheduler for one firing now (POST …/trigger); picked up by its next tick. */
  async requestTrigger(id: string, at: Date): Promise<void> {
    await this.redis.multi().hset(this.key(id, "state"), "triggerAt", String(at.getTime())).sadd(this.triggersKey, id).exec();
  }

  private get triggersKey(): string {
    return `${this.prefix}:schedules:triggers`;
  }

  /** Ids with a manual trigger asked for (the scheduler handles each, then forgets it). */
  async pendingTriggers(): Promise<string[]> {
    return this.redis.smembers(this.triggersKey);
  }

  async forgetTrigger(id: string): Promise<void> {
    await this.redis.srem(this.triggersKey, id);
  }

  async getById(id: string): Promise<StoredSchedule | undefined> {
    const raw = await this.redis.hget(this.index, id);
    return raw === null ? undefined : StoredSchedule.parse(JSON.parse(raw));
  }

  /** Records a firing's outcome and moves the cursor past it, atomically. */
  async recordRun(id: string, run: ScheduleRun): Promise<void> {
    const ms = Date.parse(run.fireAt);
    const cursor = run.trigger === "cron" ? "handledAt" : "triggerHandledAt";
    const tx = this.redis
      .multi()
      .hset(this.key(id, "runs"), String(ms), JSON.stringify(ScheduleRun.parse(run)))
      .zadd(this.key(id, "run-index"), ms, String(ms))
      .hset(this.key(id, "state"), cursor, String(ms));
    await tx.exec();
    const old = await this.redis.zrange(this.key(id, "run-index"), "0", String(-(MAX_RUN_HISTORY + 1)));
    if (old.length > 0) await this.redis.multi().zrem(this.key(id, "run-index"), ...old).hdel(this.key(id, "runs"), ...old).exec();
  }

  /** Rewrites a recorded run in place (its follow-up, e.g. cascade) without moving any cursor. */
  async updateRun(id: string, run: ScheduleRun): Promise<void> {
    const ms = String(Date.parse(run.fireAt));
    // Only an entry still in the history: one trimmed meanwhile stays gone.
    if ((await this.redis.zscore(this.key(id, "run-index"), ms)) === null) return;
    await this.redis.hset(this.key(id, "runs"), ms, JSON.stringify(ScheduleRun.parse(run)));
  }

  /** Newest first. */
  async runs(id: string, limit = MAX_RUN_HISTORY): Promise<ScheduleRun[]> {
    const ids = await this.redis.zrevrange(this.key(id, "run-index"), 0, limit - 1);
    if (ids.length === 0) return [];
    const raws = await this.redis.hmget(this.key(id, "runs"), ...ids);
    return raws.filter((r): r is string => r !== null).map((r) => ScheduleRun.parse(JSON.parse(r)));
  }

  /** One scheduler at a time fires a schedule; the lock expires if its holder dies. */
  async tryLock(id: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.key(id, "lock"), token, "PX", ttlMs, "NX")) === "OK";
  }

  async unlock(id: string, token: string): Promise<void> {
    await this.redis.eval(UNLOCK, 1, this.key(id, "lock"), token);
  }
}
