import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { BuildId, Priority, Tenant, Timestamp } from "../contract/index.js";
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
  trigger: z.union([z.strictObject({ base: z.string(), digest: z.string().optional() }), z.strictObject({ images: z.array(z.string()) })]),
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
});
export type WaveDoc = z.infer<typeof WaveDoc>;

/** Which wave node a build belongs to. */
export const BuildLink = z.strictObject({ waveId: WaveId, nodeId: z.string(), attempt: z.number().int().min(1) });
export type BuildLink = z.infer<typeof BuildLink>;

const SET_IF_VERSION = `
local raw = redis.call('GET', KEYS[1])
if raw then
  local current = cjson.decode(raw)['version']
  if tostring(current) ~= ARGV[1] then return 0 end
elseif ARGV[1] ~= '0' then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[3] == 'terminal' then redis.call('SREM', KEYS[2], ARGV[4]) else redis.call('SADD', KEYS[2], ARGV[4]) end
if ARGV[1] == '0' then redis.call('ZADD', KEYS[3], ARGV[5], ARGV[4]) end
for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1]) end
return 1`;

export class WaveStore {
  private readonly prefix: string;
  readonly activeKey: string;
  private readonly indexKey: string;
  private readonly linksKey: string;

  constructor(
    private readonly redis: Redis,
    ks: Keyspace,
  ) {
    this.prefix = `${ks.bullPrefix}:rebuild`;
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
   * (0: not stored yet), with the links of its new builds, in one atomic step.
   * false: someone else wrote first; read again and re-decide.
   */
  async save(doc: WaveDoc, newLinks: readonly [buildId: string, link: BuildLink][] = []): Promise<WaveDoc | undefined> {
    const next: WaveDoc = { ...doc, version: doc.version + 1 };
    const terminal = next.state !== "running";
    const args = [String(doc.version), JSON.stringify(next), terminal ? "terminal" : "active", doc.id, String(Date.parse(doc.createdAt))];
    for (const [buildId, link] of newLinks) args.push(buildId, JSON.stringify(link));
    const ok = await this.redis.eval(SET_IF_VERSION, 4, this.key(doc.id), this.activeKey, this.indexKey, this.linksKey, ...args);
    return ok === 1 ? next : undefined;
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
