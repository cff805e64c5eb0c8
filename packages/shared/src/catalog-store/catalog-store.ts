import type { Redis } from "ioredis";
import { z } from "zod";
import { ImageDigest, Timestamp } from "../contract/index.js";
import { InfrastructureError } from "../errors/index.js";
import { checkApply, imageId, prepareEntry } from "../catalog/graph.js";
import type { ApplyCheck, Catalog, CatalogEntry, ImageId } from "../catalog/graph.js";
import type { Image } from "../catalog/image.js";
import type { Keyspace } from "../redis/keyspace.js";

/**
 * The image catalog in Redis: one hash of stored Images (`tenant/name` →
 * JSON), written with a compare-and-set on a catalog version so that checking an apply against the whole
 * catalog (cycles, tags owned by two images) and storing it are one step:
 * two concurrent applies that together would close a cycle cannot both pass.
 * A second hash keeps what builds of each image produced (last build, last
 * digest, the base digests it was built from) — written by the rebuild runner.
 */

/** What is stored per image: the entry prepareEntry computed at apply time, so planning never re-parses. */
const StoredResolution = z.union([
  z.strictObject({ state: z.literal("resolved"), bases: z.array(z.strictObject({ reference: z.string(), source: z.record(z.string(), z.unknown()) })), dockerfile: z.unknown().optional() }),
  z.strictObject({ state: z.literal("unresolved"), reason: z.string() }),
]);

/**
 * The stored Image was validated in full when applied; reading it back checks
 * its shape only: a full parse costs ~0.5 ms, ten thousand of them per dry run
 * would be seconds.
 */
const StoredImageDocument = z
  .looseObject({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: z.looseObject({ name: z.string(), labels: z.record(z.string(), z.string()).optional() }),
    spec: z.looseObject({ build: z.looseObject({ destinations: z.array(z.string()) }) }),
  })
  .transform((v) => v as unknown as Image);

export const StoredImage = z.strictObject({
  tenant: z.string().min(1),
  image: StoredImageDocument,
  resolution: StoredResolution,
  destinations: z.array(z.string()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** Counts changes of the spec: 1 when created. */
  generation: z.number().int().min(1),
});
export type StoredImage = z.infer<typeof StoredImage>;

export const ImageBuildStatus = z.strictObject({
  lastBuildId: z.string().optional(),
  lastDigest: ImageDigest.optional(),
  /** Canonical base reference → the digest the last build was pinned to. */
  builtFrom: z.record(z.string(), ImageDigest).default({}),
  /** Digests produced, newest first (bounded): a base pinned to an older one still names this image. */
  digests: z.array(ImageDigest).max(10).default([]),
  lastWaveId: z.string().optional(),
  updatedAt: Timestamp,
});
export type ImageBuildStatus = z.infer<typeof ImageBuildStatus>;

export type ApplyOutcome =
  | { ok: true; result: "created" | "configured" | "unchanged"; stored: StoredImage }
  | { ok: false; check: Exclude<ApplyCheck, { ok: true }> };

const MAX_CAS_ROUNDS = 20;
const DIGESTS_KEPT = 10;

/** How long a catalog snapshot is used at most (see CatalogStore.snapshot). */
const SNAPSHOT_MAX_AGE_MS = 30_000;

export class CatalogStore {
  private readonly imagesKey: string;
  private readonly statusKey: string;
  private readonly versionKey: string;

  constructor(
    private readonly redis: Redis,
    ks: Keyspace,
    private readonly now: () => Date = () => new Date(),
  ) {
    // Under the one prefix (and its hash tag): MULTI over both keys stays in one slot.
    this.imagesKey = `${ks.bullPrefix}:catalog:images`;
    this.statusKey = `${ks.bullPrefix}:catalog:status`;
    this.versionKey = `${ks.bullPrefix}:catalog:version`;
  }

  /**
   * Each image's stored text and what it parsed to: a wave step or dry run
   * reads thousands of images that did not change since the last read, and
   * the same text parses to the same image. Values are shared between
   * callers: read-only. Bounded by the catalog (all() drops what was deleted).
   */
  private readonly parsed = new Map<ImageId, { raw: string; image: StoredImage | undefined }>();

  private parseCached(id: ImageId, raw: string): StoredImage | undefined {
    const hit = this.parsed.get(id);
    if (hit !== undefined && hit.raw === raw) return hit.image;
    const image = parseStored(raw);
    this.parsed.set(id, { raw, image });
    return image;
  }

  /**
   * Every image as read at a catalog version, with its graph entries. Every
   * write of the images key bumps the version in the same atomic step (apply,
   * delete), so while the version stays, so do the images: a wave step or dry
   * run reads one key instead of the whole catalog. Shared: read-only.
   * Kept SNAPSHOT_MAX_AGE_MS at most: after a failover that lost the last
   * writes, a version number can come back with other images behind it.
   */
  private snapshot: { version: string; readAt: number; images: readonly StoredImage[]; entries: readonly CatalogEntry[]; byId: ReadonlyMap<ImageId, StoredImage> } | undefined;

  /** The snapshot while it is young enough and its version still the stored one. */
  private async current(): Promise<NonNullable<CatalogStore["snapshot"]> | undefined> {
    const known = this.snapshot;
    if (known === undefined || Date.now() - known.readAt > SNAPSHOT_MAX_AGE_MS) return undefined;
    return ((await this.redis.get(this.versionKey)) ?? "0") === known.version ? known : undefined;
  }

  private async read(): Promise<{ images: readonly StoredImage[]; entries: readonly CatalogEntry[] }> {
    const known = await this.current();
    if (known !== undefined) return known;
    // The version and the images in one MULTI: the images are the version's.
    const replies = await this.redis.multi().get(this.versionKey).hgetall(this.imagesKey).exec();
    const [[versionError, version], [imagesError, images]] = (replies ?? [[null, null], [null, {}]]) as [[Error | null, string | null], [Error | null, Record<string, string> | null]];
    const error = versionError ?? imagesError;
    if (error !== null) throw error;
    const raw = images ?? {};
    for (const id of this.parsed.keys()) if (!(id in raw)) this.parsed.delete(id);
    const out: StoredImage[] = [];
    const byId = new Map<ImageId, StoredImage>();
    for (const id of Object.keys(raw).sort()) {
      const stored = this.parseCached(id, raw[id] ?? "");
      if (stored === undefined) continue;
      out.push(stored);
      byId.set(id, stored);
    }
    this.snapshot = { version: version ?? "0", readAt: Date.now(), images: out, entries: out.map(toEntry), byId };
    return this.snapshot;
  }

  /** Stored images; entries that no longer parse (a bug, or a newer writer) are left out rather than break planning. */
  async all(): Promise<StoredImage[]> {
    return [...(await this.read()).images];
  }

  async get(tenant: string, name: string): Promise<StoredImage | undefined> {
    const id = imageId(tenant, name);
    const raw = await this.redis.hget(this.imagesKey, id);
    return raw === null ? undefined : this.parseCached(id, raw);
  }

  /** The stored images of these ids, in one round trip; undefined where none is stored. */
  async getMany(ids: readonly ImageId[]): Promise<(StoredImage | undefined)[]> {
    if (ids.length === 0) return [];
    // A wave step reads the images of a level it planned from this catalog moments ago: while the version
    // stays, from the snapshot (one GET, not the level's images again).
    const known = await this.current();
    if (known !== undefined) return ids.map((id) => known.byId.get(id));
    const raw = await this.redis.hmget(this.imagesKey, ...ids);
    return raw.map((text, i) => (text === null ? undefined : this.parseCached(ids[i]!, text)));
  }

  /** The catalog as the graph functions take it: every entry, and the digests each image produced. */
  async catalog(): Promise<{ catalog: Catalog; images: StoredImage[]; status: Map<ImageId, ImageBuildStatus> }> {
    const [{ images, entries }, status] = await Promise.all([this.read(), this.allStatus()]);
    const digests = new Map([...status].map(([id, s]) => [id, s.digests] as const));
    return { catalog: { entries: [...entries], digests }, images: [...images], status };
  }

  /**
   * Creates or replaces an image after checkApply on the catalog as it is at
   * that moment. Refused: nothing written. Unchanged (same document): nothing written.
   */
  async apply(tenant: string, image: Image): Promise<ApplyOutcome> {
    const id = imageId(tenant, image.metadata.name);
    const entry = prepareEntry(tenant, image);
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      // Not WATCH: the connection is shared by concurrent requests, and one's EXEC would end another's WATCH.
      const version = (await this.redis.get(this.versionKey)) ?? "0";
      const images = parseAll(await this.redis.hgetall(this.imagesKey));
      const status = await this.allStatus();
      const existing = images.find((s) => imageId(s.tenant, s.image.metadata.name) === id);
      if (existing !== undefined && canonicalJson(existing.image) === canonicalJson(image)) {
        return { ok: true, result: "unchanged", stored: existing };
      }
      const check = checkApply({ entries: images.map(toEntry), digests: new Map([...status].map(([k, s]) => [k, s.digests] as const)) }, entry);
      if (!check.ok) return { ok: false, check };
      const at = this.now().toISOString();
      const stored: StoredImage = {
        tenant,
        image,
        resolution: entry.resolution as StoredImage["resolution"],
        destinations: [...(entry.destinations ?? [])],
        createdAt: existing?.createdAt ?? at,
        updatedAt: at,
        generation: (existing?.generation ?? 0) + 1,
      };
      const written = await this.redis.eval(HSET_IF_VERSION, 2, this.versionKey, this.imagesKey, version, id, JSON.stringify(stored));
      // Someone else changed the catalog meanwhile: check again against theirs.
      if (written !== 1) continue;
      return { ok: true, result: existing === undefined ? "created" : "configured", stored };
    }
    throw new InfrastructureError(`could not apply image ${id}: the catalog kept changing (${MAX_CAS_ROUNDS} rounds)`);
  }

  /** true when it existed. Its build status goes with it. */
  async delete(tenant: string, name: string): Promise<boolean> {
    const id = imageId(tenant, name);
    const res = await this.redis.multi().hdel(this.imagesKey, id).hdel(this.statusKey, id).incr(this.versionKey).exec();
    return res?.[0]?.[1] === 1;
  }

  async status(id: ImageId): Promise<ImageBuildStatus | undefined> {
    const raw = await this.redis.hget(this.statusKey, id);
    return raw === null ? undefined : parseStatus(raw);
  }

  async allStatus(): Promise<Map<ImageId, ImageBuildStatus>> {
    const raw = await this.redis.hgetall(this.statusKey);
    const out = new Map<ImageId, ImageBuildStatus>();
    for (const [id, text] of Object.entries(raw)) {
      const status = parseStatus(text);
      if (status !== undefined) out.set(id, status);
    }
    return out;
  }

  /** Records a succeeded build of an image (idempotent for the same build id). */
  async recordBuild(id: ImageId, build: { buildId: string; digest: string; builtFrom: Record<string, string>; waveId?: string }): Promise<void> {
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      const raw = await this.redis.hget(this.statusKey, id);
      const before = raw === null ? undefined : parseStatus(raw);
      // Once per build, except that a wave's record (its pins) completes one written without them: the
      // coordinator can see a wave build's event before the wave has saved its build→node link, and then
      // records it as built outside a wave (automatic.ts) first.
      if (before?.lastBuildId === build.buildId && (Object.keys(build.builtFrom).length === 0 || build.waveId === undefined || before.lastWaveId !== undefined)) return;
      const status: ImageBuildStatus = {
        lastBuildId: build.buildId,
        lastDigest: build.digest,
        builtFrom: build.builtFrom,
        digests: [build.digest, ...(before?.digests ?? []).filter((d) => d !== build.digest)].slice(0, DIGESTS_KEPT),
        ...(build.waveId !== undefined ? { lastWaveId: build.waveId } : {}),
        updatedAt: this.now().toISOString(),
      };
      if ((await this.redis.eval(HSET_IF_SAME, 1, this.statusKey, id, raw ?? "", JSON.stringify(status))) === 1) return;
    }
    throw new InfrastructureError(`could not record the build of image ${id}: its status kept changing`);
  }
}

/** Sets a hash field when the catalog version is still the one read, and counts the write. */
const HSET_IF_VERSION = `
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('INCR', KEYS[1])
return 1`;

/** Sets a hash field when it still holds what was read ('' = absent). */
export const HSET_IF_SAME = `
if (redis.call('HGET', KEYS[1], ARGV[1]) or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

/** JSON with sorted keys: the same document read back from Redis compares equal whatever its key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

export function toEntry(stored: StoredImage): CatalogEntry {
  return { tenant: stored.tenant, image: stored.image, resolution: stored.resolution as CatalogEntry["resolution"] & object, destinations: stored.destinations };
}

function parseStored(raw: string): StoredImage | undefined {
  try {
    const parsed = StoredImage.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function parseStatus(raw: string): ImageBuildStatus | undefined {
  try {
    const parsed = ImageBuildStatus.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function parseAll(raw: Record<string, string>): StoredImage[] {
  const out: StoredImage[] = [];
  for (const key of Object.keys(raw).sort()) {
    const stored = parseStored(raw[key] ?? "");
    if (stored !== undefined) out.push(stored);
  }
  return out;
}
