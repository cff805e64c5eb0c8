import type { Redis } from "ioredis";
import { BuildEvent, RebuildEvent } from "../contract/index.js";
import type { Keyspace } from "../redis/keyspace.js";

/**
 * Reading the durable build events stream. Consumers that must not miss an
 * event use a consumer group and acknowledge what they handled; unacknowledged
 * entries stay pending and are re-read after a crash. Readers that only follow
 * (SSE clients resuming from Last-Event-ID) use `after()` / `follow()`.
 * Blocking reads need a dedicated connection (createWorkerConnection).
 */

/** A build's event on the stream. */
export interface BuildStreamEntry {
  kind: "build";
  /** Redis stream id (`<ms>-<n>`): a global, ordered cursor. */
  id: string;
  buildId: string;
  event: BuildEvent;
}

/** A rebuild wave's event (rebuild.*) on the same stream. */
export interface RebuildStreamEntry {
  kind: "rebuild";
  id: string;
  waveId: string;
  event: RebuildEvent;
}

/** Consumers that only follow builds skip `kind: "rebuild"` entries (and still acknowledge them). */
export type StreamEntry = BuildStreamEntry | RebuildStreamEntry;

/** Field names of a stream entry: a build's events carry `buildId`, a wave's `waveId` (wave-store.ts writes them). */
export const STREAM_FIELDS = { build: "buildId", wave: "waveId", event: "event" } as const;

type RawEntries = [id: string, fields: string[]][];

export class EventStream {
  constructor(
    private readonly redis: Redis,
    private readonly ks: Keyspace,
  ) {}

  /** Creates the consumer group if missing. `from`: "0" = whole stream, "$" = only new events. */
  async ensureGroup(group: string, from: "0" | "$" = "$"): Promise<void> {
    try {
      await this.redis.xgroup("CREATE", this.ks.events, group, from, "MKSTREAM");
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes("BUSYGROUP")) throw err;
    }
  }

  /**
   * Reads for `consumer` in `group`: first its own pending (delivered, not yet
   * acknowledged — e.g. before a crash), then new entries, blocking up to `blockMs`.
   */
  async readGroup(
    group: string,
    consumer: string,
    options: { count?: number; blockMs?: number } = {},
  ): Promise<StreamEntry[]> {
    const count = options.count ?? 100;
    const pending = (await this.redis.xreadgroup(
      "GROUP", group, consumer, "COUNT", count, "STREAMS", this.ks.events, "0",
    )) as [string, RawEntries][] | null;
    const mine = parse(pending?.[0]?.[1] ?? []);
    if (mine.length > 0) return mine;
    const fresh = (await this.redis.xreadgroup(
      "GROUP", group, consumer, "COUNT", count, "BLOCK", options.blockMs ?? 5_000, "STREAMS", this.ks.events, ">",
    )) as [string, RawEntries][] | null;
    return parse(fresh?.[0]?.[1] ?? []);
  }

  async ack(group: string, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.redis.xack(this.ks.events, group, ...ids);
  }

  /** Entries strictly after `afterId` ("0" = from the start of what is kept), oldest first. */
  async after(afterId: string, count = 100): Promise<StreamEntry[]> {
    const raw = (await this.redis.xrange(this.ks.events, `(${afterId}`, "+", "COUNT", count)) as RawEntries;
    return parse(raw);
  }

  /** Blocks up to `blockMs` for entries after `afterId` ("$" = only ones added from now on). */
  async follow(afterId: string, options: { count?: number; blockMs?: number } = {}): Promise<StreamEntry[]> {
    const res = await this.redis.xread(
      "COUNT", options.count ?? 100, "BLOCK", options.blockMs ?? 5_000, "STREAMS", this.ks.events, afterId,
    );
    return parse(res?.[0]?.[1] ?? []);
  }
}

function parse(entries: RawEntries): StreamEntry[] {
  return entries.map(([id, fields]): StreamEntry => {
    const map = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] ?? "", fields[i + 1] ?? "");
    const json: unknown = JSON.parse(map.get(STREAM_FIELDS.event) ?? "null");
    const waveId = map.get(STREAM_FIELDS.wave);
    if (waveId !== undefined) return { kind: "rebuild", id, waveId, event: RebuildEvent.parse(json) };
    return { kind: "build", id, buildId: map.get(STREAM_FIELDS.build) ?? "", event: BuildEvent.parse(json) };
  });
}
