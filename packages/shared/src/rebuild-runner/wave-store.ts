import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { BuildId, Priority, Tenant, Timestamp, typedRebuildEvent } from "../contract/index.js";
import { STREAM_FIELDS } from "../builds/event-stream.js";
import { InfrastructureError } from "../errors/index.js";
import type { WaveEventInit } from "./wave-events.js";
import type { ImageId } from "../catalog/graph.js";
import type { WavePlan } from "../rebuilds/plan.js";
import type { Wave, WaveState } from "../rebuilds/wave.js";
import type { Keyspace } from "../redis/keyspace.js";
import { NodeBoundedCache } from "./node-bounded-cache.js";

/**
 * Rebuild waves in Redis. A wave is three keys: its plan (JSON, written once
 * when the wave is created: it never changes), its state (the rest of the
 * WaveDoc as JSON: state machine, the build of each node) and its version.
 * Every write is a compare-and-set on the version: the API (start, cancel,
 * retry) and any number of coordinators may advance one wave at once, and
 * exactly one write of each step wins.
 *
 * The plan is more than half of a large wave's document, and a wave step
 * rewrites the state: keeping the plan apart makes each step write (and
 * read) only what changed. The version in its own key lets the script check
 * it without decoding the document.
 *
 * Waves stored as one document (plan included, no version key; before this
 * layout) are read as they are, and their next write moves them to this one.
 */

export const WaveId = z.string().regex(/^rw-[0-9a-z]{8,40}$/, { error: "expected a wave id such as rw-lq3c0a1b2c3d4e5f" });
export type WaveId = z.infer<typeof WaveId>;

export function newWaveId(now: Date = new Date()): WaveId {
  return `rw-${now.getTime().toString(36)}${randomBytes(5).toString("hex")}`;
}

export const NodePin = z.strictObject({
  base: z.string(),
  digest: z.string(),
  state: z.enum(["pinned", "unpinned"]),
  pinnedTo: z.string().optional(),
});

/** The build a wave node's attempt submitted. */
export const NodeBuild = z.strictObject({
  buildId: BuildId,
  attempt: z.number().int().min(1),
  pins: z.array(NodePin),
});
export type NodeBuild = z.infer<typeof NodeBuild>;

const Shaped = <T>(what: string, check: (v: Record<string, unknown>) => boolean) =>
  z.custom<T>((v) => typeof v === "object" && v !== null && check(v as Record<string, unknown>), { error: `expected a stored ${what}` });

export const WaveDoc = z.strictObject({
  id: WaveId,
  /** The tenant whose token started it ("" for an automatic wave). */
  startedBy: z.string().max(256),
  scope: z.enum(["tenant", "admin", "automatic"]),
  tenant: Tenant.optional(),
  trigger: z.union([z.strictObject({ base: z.string(), digest: z.string().optional(), dependents: z.array(z.string()).optional() }), z.strictObject({ images: z.array(z.string()) })]),
  reason: z.string().max(1024).optional(),
  priority: Priority,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  finishedAt: Timestamp.optional(),
  state: z.enum(["running", "succeeded", "failed", "cancelled"]),
  version: z.number().int().min(1),
  // The pure core's own types; their shape is checked, their content was produced by planWave/startWave.
  plan: Shaped<WavePlan>("plan", (v) => Array.isArray(v["levels"]) && Array.isArray(v["nodes"])),
  wave: Shaped<Wave>("wave", (v) => Array.isArray(v["nodes"]) && typeof v["index"] === "object"),
  builds: z.record(z.string(), NodeBuild),
  /** Who cancelled it (a token's tenant, or `Superseded` for an automatic wave a newer digest replaced). */
  cancelledBy: z.string().max(256).optional(),
  /** Sequence number of the wave's last rebuild.* event (0 before the first; waves stored before events: 0). */
  eventSeq: z.number().int().min(0).default(0),
});
export type WaveDoc = z.infer<typeof WaveDoc>;

/** Which wave node a build belongs to. */
export const BuildLink = z.strictObject({ waveId: WaveId, nodeId: z.string(), attempt: z.number().int().min(1) });
export type BuildLink = z.infer<typeof BuildLink>;

/** What the state key holds: the WaveDoc without its plan (or, stored before the plan key, with it). */
const StoredState = WaveDoc.extend({ plan: WaveDoc.shape.plan.optional() });
const StoredPlan = WaveDoc.shape.plan;

/**
 * KEYS: 1 wave state, 2 active set, 3 index zset, 4 build links hash, 5 events stream, 6 first-event hash,
 *       7 version, 8 plan
 * ARGV: 1 expected version, 2 state json, 3 terminal|active, 4 wave id, 5 created ms, 6 stream maxlen,
 *       7 plan json ('' for a wave stored with its plan key; given, the version is the document's), 8 number of links n,
 *       then n (build id, link json) pairs, then the events' json.
 * Returns 1 written, 0 the version moved on, -1 no plan key and no plan given (the caller sends it).
 * The events go out in the same atomic step as the write they announce: a write that loses the
 * compare-and-set publishes nothing.
 */
const SET_IF_VERSION = `
local current = redis.call('GET', KEYS[7])
if not current or ARGV[7] ~= '' then
  -- Read as one document (plan included: stored before the version key, or by a process that predates it):
  -- its version is inside. This write sets the key.
  local raw = redis.call('GET', KEYS[1])
  if raw then current = tostring(cjson.decode(raw)['version']) else current = '0' end
end
if current ~= ARGV[1] then return 0 end
if ARGV[7] ~= '' then redis.call('SET', KEYS[8], ARGV[7])
elseif redis.call('EXISTS', KEYS[8]) == 0 then return -1 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[7], tonumber(ARGV[1]) + 1)
if ARGV[3] == 'terminal' then redis.call('SREM', KEYS[2], ARGV[4]) else redis.call('SADD', KEYS[2], ARGV[4]) end
if ARGV[1] == '0' then redis.call('ZADD', KEYS[3], ARGV[5], ARGV[4]) end
local links = tonumber(ARGV[8])
-- A level's links in a few HSETs (4,000 arguments each: within unpack's limit), not one per build.
for from = 9, 8 + links * 2, 4000 do redis.call('HSET', KEYS[4], unpack(ARGV, from, math.min(from + 3999, 8 + links * 2))) end
local first
for i = 9 + links * 2, #ARGV do
  local id = redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[6], '*', '${STREAM_FIELDS.wave}', ARGV[4], '${STREAM_FIELDS.event}', ARGV[i])
  first = first or id
end
-- Where the wave's history begins: set by its first write's first event, kept by every later one.
if first then redis.call('HSETNX', KEYS[6], ARGV[4], first) end
return 1`;

/**
 * Plans kept parsed, by wave id, up to this many nodes in all: a plan never
 * changes once written, so a wave step reads only the state. Their objects
 * are shared between callers: read-only.
 */
const CACHED_PLAN_NODES = 20_000;

/** Wave states kept as last written (see WaveStore.written), up to this many nodes in all. */
const CACHED_STATE_NODES = 5_000;

/** CloudEvents `source` of rebuild.* events. */
const EVENT_SOURCE = "/buildfleet/rebuilds";

/** SET_IF_VERSION as an ioredis command: EVALSHA, the script body sent once per connection. */
interface WaveCommands {
  buildfleetSaveWave(numberOfKeys: number, ...args: string[]): Promise<number>;
}

export class WaveStore {
  private readonly redis: Redis & WaveCommands;
  private readonly prefix: string;
  readonly activeKey: string;
  private readonly indexKey: string;
  private readonly linksKey: string;
  private readonly eventsKey: string;
  private readonly firstEventKey: string;

  constructor(
    redis: Redis,
    ks: Keyspace,
    /** Approximate cap of the events stream (XADD MAXLEN ~), as the build store's. */
    private readonly streamMaxLen = 100_000,
  ) {
    // defineCommand gives EVALSHA with a fallback to EVAL on NOSCRIPT (after a Redis restart or failover).
    redis.defineCommand("buildfleetSaveWave", { lua: SET_IF_VERSION });
    this.redis = redis as Redis & WaveCommands;
    this.prefix = `${ks.bullPrefix}:rebuild`;
    this.eventsKey = ks.events;
    this.firstEventKey = `${this.prefix}:first-event`;
    this.activeKey = `${this.prefix}:active`;
    this.indexKey = `${this.prefix}:by-created`;
    this.linksKey = `${this.prefix}:by-build`;
  }

  private key(id: string): string {
    return `${this.prefix}:wave:${id}`;
  }

  /** Plans read from inside a wave's document (the layout before the plan key): their next write sends them. */
  private readonly inlinePlans = new WeakSet<WavePlan>();

  /** Parsed plans by wave id, least recently used first (see CACHED_PLAN_NODES). */
  private readonly plans = new NodeBoundedCache<WavePlan>(CACHED_PLAN_NODES, (plan) => plan.nodes.length, (id) => this.written.delete(id));

  /**
   * The state each cached-plan wave was last written with by this store, as
   * text and as the document: read back unchanged (the next step of the wave
   * this process just wrote, the usual case), it is not parsed again. Up to
   * CACHED_STATE_NODES nodes in all (a 2,000-node wave's state is a few MB of heap).
   */
  private readonly written = new NodeBoundedCache<{ json: string; doc: WaveDoc }>(CACHED_STATE_NODES, (w) => w.doc.wave.nodes.length);

  async get(id: string): Promise<WaveDoc | undefined> {
    if (!WaveId.safeParse(id).success) return undefined;
    // Most recently used last: the first to go is the wave read longest ago.
    const known = this.plans.touch(id);
    const [raw, rawPlan] = known !== undefined ? [await this.redis.get(this.key(id)), null] : await this.redis.mget(this.key(id), `${this.key(id)}:plan`);
    if (raw === null || raw === undefined) return undefined;
    const last = known !== undefined ? this.written.get(id) : undefined;
    if (last !== undefined && last.json === raw) return { ...last.doc, plan: known! };
    const { plan: inline, ...state } = StoredState.parse(JSON.parse(raw));
    // Stored as one document (the layout before the plan key): its plan is inline, and its next write moves it.
    if (inline !== undefined) {
      this.inlinePlans.add(inline);
      return { ...state, plan: inline };
    }
    let plan = known;
    if (plan === undefined) {
      if (rawPlan === null || rawPlan === undefined) throw new InfrastructureError(`wave ${id}: its plan is missing`, { retryable: false });
      plan = StoredPlan.parse(JSON.parse(rawPlan));
      this.plans.set(id, plan);
    }
    return { ...state, plan };
  }

  /**
   * Writes `doc` (version + 1) when the stored one still has `doc.version`
   * (0: not stored yet), with the links of its new builds and the rebuild.*
   * events it announces (numbered on from `doc.eventSeq`), in one atomic step.
   * The plan is written with the first write only (and when a wave stored
   * before the plan key is written the first time).
   * undefined: someone else wrote first; read again and re-decide.
   */
  async save(doc: WaveDoc, newLinks: readonly [buildId: string, link: BuildLink][] = [], events: readonly WaveEventInit[] = []): Promise<WaveDoc | undefined> {
    const next: WaveDoc = { ...doc, version: doc.version + 1, eventSeq: doc.eventSeq + events.length };
    const { plan, ...state } = next;
    const terminal = next.state !== "running";
    const stateJson = JSON.stringify(state);
    const args = [String(doc.version), stateJson, terminal ? "terminal" : "active", doc.id, String(Date.parse(doc.createdAt)), String(this.streamMaxLen)];
    const rest = [String(newLinks.length)];
    for (const [buildId, link] of newLinks) rest.push(buildId, JSON.stringify(link));
    events.forEach((e, i) => {
      // Typed, not parsed again: waveEvents makes them of the wave's validated parts (its tests parse what it makes).
      const event = typedRebuildEvent(e.type, { waveId: doc.id, sequence: doc.eventSeq + i + 1, data: e.data, source: EVENT_SOURCE, time: doc.updatedAt });
      rest.push(JSON.stringify(event));
    });
    const keys = [this.key(doc.id), this.activeKey, this.indexKey, this.linksKey, this.eventsKey, this.firstEventKey, `${this.key(doc.id)}:version`, `${this.key(doc.id)}:plan`];
    // A stored wave's plan is in its plan key already (it never changes), except for a wave read as one
    // document; should the plan key be missing all the same, the script answers -1 and the plan goes along.
    const sendPlan = doc.version === 0 || this.inlinePlans.has(plan);
    let ok = await this.redis.buildfleetSaveWave(keys.length, ...keys, ...args, sendPlan ? JSON.stringify(plan) : "", ...rest);
    if (ok === -1) ok = await this.redis.buildfleetSaveWave(keys.length, ...keys, ...args, JSON.stringify(plan), ...rest);
    if (ok !== 1) return undefined;
    this.plans.set(doc.id, plan);
    this.written.set(doc.id, { json: stateJson, doc: next });
    return next;
  }

  /** The stream id of the wave's first event (rebuild.started), where its event history begins. */
  async firstEventId(id: string): Promise<string | undefined> {
    return (await this.redis.hget(this.firstEventKey, id)) ?? undefined;
  }

  async link(buildId: string): Promise<BuildLink | undefined> {
    const raw = await this.redis.hget(this.linksKey, buildId);
    if (raw === null) return undefined;
    const parsed = BuildLink.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }

  async active(): Promise<string[]> {
    return (await this.redis.smembers(this.activeKey)).sort();
  }

  /** Newest first. */
  async list(options: { limit: number; visible: (doc: WaveDoc) => boolean }): Promise<WaveDoc[]> {
    const out: WaveDoc[] = [];
    const page = 200;
    for (let start = 0; out.length < options.limit; start += page) {
      const ids = await this.redis.zrevrange(this.indexKey, start, start + page - 1);
      if (ids.length === 0) break;
      for (const id of ids) {
        const doc = await this.get(id);
        if (doc !== undefined && options.visible(doc)) out.push(doc);
        if (out.length >= options.limit) break;
      }
    }
    return out;
  }
}

export type { ImageId, WaveState };
