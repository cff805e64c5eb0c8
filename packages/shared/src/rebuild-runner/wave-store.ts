import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { BuildId, Priority, Tenant, Timestamp, makeRebuildEvent } from "../contract/index.js";
import { STREAM_FIELDS } from "../builds/event-stream.js";
import type { WaveEventInit } from "./wave-events.js";
import type { ImageId } from "../catalog/graph.js";
import type { WavePlan } from "../rebuilds/plan.js";
import type { Wave, WaveState } from "../rebuilds/wave.js";
import type { Keyspace } from "../redis/keyspace.js";

/**
 * Rebuild waves in Redis. A wave is one JSON document (plan, state machine,
 * the build of each node) written with compare-and-set on its `version`:
 * the API (start, cancel, retry) and any number of coordinators may advance
 * one wave at once, and exactly one write of each step wins.
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

/**
 * KEYS: 1 wave, 2 active set, 3 index zset, 4 build links hash, 5 events stream, 6 first-event hash
 * ARGV: 1 expected version, 2 doc json, 3 terminal|active, 4 wave id, 5 created ms, 6 stream maxlen,
 *       7 number of links n, then n (build id, link json) pairs, then the events' json.
 * The events go out in the same atomic step as the write they announce: a write that loses the
 * compare-and-set publishes nothing.
 */
const SET_IF_VERSION = `
local raw = redis.call('GET', KEYS[1])
if raw then
  local current = cjson.decode(raw)['version']
  if tostring(current) ~= ARGV[1] then return 0 end
elseif ARGV[1] ~= '0' then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[3] == 'terminal' then redis.call('SREM', KEYS[2], ARGV[4]) else redis.call('SADD', KEYS[2], ARGV[4]) end
if ARGV[1] == '0' then redis.call('ZADD', KEYS[3], ARGV[5], ARGV[4]) end
local links = tonumber(ARGV[7])
for i = 8, 7 + links * 2, 2 do redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1]) end
for i = 8 + links * 2, #ARGV do
  local id = redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[6], '*', '${STREAM_FIELDS.wave}', ARGV[4], '${STREAM_FIELDS.event}', ARGV[i])
  redis.call('HSETNX', KEYS[6], ARGV[4], id)
end
return 1`;

/** CloudEvents `source` of rebuild.* events. */
const EVENT_SOURCE = "/buildfleet/rebuilds";

export class WaveStore {
  private readonly prefix: string;
  readonly activeKey: string;
  private readonly indexKey: string;
  private readonly linksKey: string;
  private readonly eventsKey: string;
  private readonly firstEventKey: string;

  constructor(
    private readonly redis: Redis,
    ks: Keyspace,
    /** Approximate cap of the events stream (XADD MAXLEN ~), as the build store's. */
    private readonly streamMaxLen = 100_000,
  ) {
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

  async get(id: string): Promise<WaveDoc | undefined> {
    if (!WaveId.safeParse(id).success) return undefined;
    const raw = await this.redis.get(this.key(id));
    if (raw === null) return undefined;
    return WaveDoc.parse(JSON.parse(raw));
  }

  /**
   * Writes `doc` (version + 1) when the stored one still has `doc.version`
   * (0: not stored yet), with the links of its new builds and the rebuild.*
   * events it announces (numbered on from `doc.eventSeq`), in one atomic step.
   * undefined: someone else wrote first; read again and re-decide.
   */
  async save(doc: WaveDoc, newLinks: readonly [buildId: string, link: BuildLink][] = [], events: readonly WaveEventInit[] = []): Promise<WaveDoc | undefined> {
    const next: WaveDoc = { ...doc, version: doc.version + 1, eventSeq: doc.eventSeq + events.length };
    const terminal = next.state !== "running";
    const args = [String(doc.version), JSON.stringify(next), terminal ? "terminal" : "active", doc.id, String(Date.parse(doc.createdAt)), String(this.streamMaxLen), String(newLinks.length)];
    for (const [buildId, link] of newLinks) args.push(buildId, JSON.stringify(link));
    events.forEach((e, i) => {
      const event = makeRebuildEvent(e.type, { waveId: doc.id, sequence: doc.eventSeq + i + 1, data: e.data, source: EVENT_SOURCE, time: doc.updatedAt });
      args.push(JSON.stringify(event));
    });
    const ok = await this.redis.eval(SET_IF_VERSION, 6, this.key(doc.id), this.activeKey, this.indexKey, this.linksKey, this.eventsKey, this.firstEventKey, ...args);
    return ok === 1 ? next : undefined;
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
