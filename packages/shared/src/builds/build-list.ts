import type { Redis } from "ioredis";
import { BuildRecord, type BuildState } from "../contract/index.js";
import type { Keyspace } from "../redis/keyspace.js";

/**
 * Listing builds newest first over the `buildIndex` sorted set (score =
 * creation time in ms, member = build id). Filters (tenant, state, labels)
 * are applied to the records read; a position `{ score, id }` marks where the
 * next page starts, so new builds arriving meanwhile never shift a page.
 * Each call examines at most `scanBudget` index entries: with very selective
 * filters a page may come back short but with a position to continue from.
 */

export interface ListPosition {
  /** Creation time (ms) of the last build examined. */
  score: number;
  /** Its id: builds created in the same millisecond are ordered by id, descending. */
  id: string;
}

export interface ListBuildsQuery {
  tenant?: string;
  states?: readonly BuildState[];
  /** Every pair must be present on the build's labels. */
  labels?: Readonly<Record<string, string>>;
  limit: number;
  after?: ListPosition;
  scanBudget?: number;
}

export interface ListBuildsPage {
  items: BuildRecord[];
  /** Where to continue, or undefined when the index is exhausted. */
  next: ListPosition | undefined;
}

const BATCH = 200;

export function matchesListQuery(record: BuildRecord, query: Omit<ListBuildsQuery, "limit">): boolean {
  if (query.tenant !== undefined && record.tenant !== query.tenant) return false;
  if (query.states && query.states.length > 0 && !query.states.includes(record.state)) return false;
  for (const [key, value] of Object.entries(query.labels ?? {})) {
    if (record.labels[key] !== value) return false;
  }
  return true;
}

export async function listBuilds(redis: Redis, ks: Keyspace, query: ListBuildsQuery): Promise<ListBuildsPage> {
  const limit = Math.max(1, query.limit);
  let budget = query.scanBudget ?? 5_000;
  const items: BuildRecord[] = [];
  let position = query.after;
  // Entries with the cursor's own score that were already examined are skipped via `skip`.
  let skip = 0;
  while (budget > 0) {
    const max = position ? String(position.score) : "+inf";
    const raw = await redis.zrevrangebyscore(ks.buildIndex, max, "-inf", "WITHSCORES", "LIMIT", skip, BATCH);
    if (raw.length === 0) return { items, next: undefined };
    const batch: ListPosition[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) batch.push({ id: raw[i] ?? "", score: Number(raw[i + 1]) });
    const fresh = batch.filter((e) => !position || e.score < position.score || e.id < position.id);
    if (fresh.length === 0) {
      skip += batch.length;
      continue;
    }
    skip = 0;
    const records = await redis.pipeline(fresh.map((e) => ["hget", ks.build(e.id), "record"])).exec();
    for (let i = 0; i < fresh.length; i++) {
      const entry = fresh[i];
      if (!entry) continue;
      budget--;
      position = entry;
      const value = records?.[i]?.[1];
      // An index entry whose record is gone (discarded after a failed submit) is skipped.
      if (typeof value === "string") {
        const record = BuildRecord.parse(JSON.parse(value));
        if (matchesListQuery(record, query)) items.push(record);
      }
      if (items.length >= limit || budget <= 0) return { items, next: position };
    }
    if (batch.length < BATCH) return { items, next: undefined };
  }
  return { items, next: position };
}
