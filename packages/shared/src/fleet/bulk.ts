import type { Redis } from "ioredis";
import { isTerminalState, type BuildRecord, type BuildState } from "../contract/index.js";
import type { BuildStore } from "../builds/build-store.js";
import { listBuilds, type ListPosition } from "../builds/build-list.js";
import { BuildfleetError, NotFoundError, ValidationError } from "../errors/index.js";
import type { BuildQueues } from "../queue/build-queues.js";
import { requestCancel } from "../queue/cancel.js";
import type { Keyspace } from "../redis/keyspace.js";

/**
 * Bulk operations by selector (labels, states, tenant). Bounded: matching
 * stops at MATCH_HARD_CAP, and acting on more than the configured `max`
 * needs an explicit `all`. Idempotent and restart-safe: each build goes
 * through the normal single-build path (cancel is idempotent; a retry uses
 * the idempotency key `retry.<id>`, so running the same bulk retry again
 * after a crash creates only the retries still missing).
 */

export const MATCH_HARD_CAP = 10_000;
/** Ids shown by a dry run and in answers. */
export const SAMPLE_SIZE = 20;
const CHUNK = 20;

export interface BuildSelector {
  /** undefined: every tenant (admins only; the API enforces it). */
  tenant?: string;
  states?: readonly BuildState[];
  labels?: Readonly<Record<string, string>>;
}

export interface BulkOptions {
  dryRun: boolean;
  all: boolean;
  /** Above this many matches, `all` is required. */
  max: number;
}

export interface BulkAnswer {
  dryRun: boolean;
  matched: number;
  /** Matching stopped at MATCH_HARD_CAP: there may be more. */
  truncated: boolean;
  max: number;
  /** More than `max` matched: acting needs all. */
  needsAll: boolean;
  /** The first matched ids. */
  ids: string[];
  /** Builds acted on (cancel marked/recorded, retry created or found). */
  done: number;
  /** Matched, but no longer in a state to act on when their turn came. */
  skipped: number;
}

/** Matched builds, newest first, at most MATCH_HARD_CAP, reading the index in bounded pages. */
export async function matchBuilds(redis: Redis, ks: Keyspace, selector: BuildSelector): Promise<{ records: BuildRecord[]; truncated: boolean }> {
  const records: BuildRecord[] = [];
  let after: ListPosition | undefined;
  // At most 200 pages of up to 5,000 index entries each: a request never scans more than 1M entries.
  for (let page = 0; page < 200; page++) {
    const res = await listBuilds(redis, ks, {
      ...(selector.tenant !== undefined ? { tenant: selector.tenant } : {}),
      ...(selector.states ? { states: selector.states } : {}),
      labels: selector.labels ?? {},
      limit: 200,
      ...(after ? { after } : {}),
    });
    records.push(...res.items);
    if (records.length > MATCH_HARD_CAP) return { records: records.slice(0, MATCH_HARD_CAP), truncated: true };
    if (!res.next) return { records, truncated: false };
    after = res.next;
  }
  return { records, truncated: true };
}

async function runBulk(
  records: readonly BuildRecord[],
  truncated: boolean,
  options: BulkOptions,
  act: (record: BuildRecord) => Promise<boolean>,
): Promise<BulkAnswer> {
  const base = {
    dryRun: options.dryRun,
    matched: records.length,
    truncated,
    max: options.max,
    needsAll: records.length > options.max || truncated,
    ids: records.slice(0, SAMPLE_SIZE).map((r) => r.id),
  };
  if (options.dryRun) return { ...base, done: 0, skipped: 0 };
  if (base.needsAll && !options.all) {
    throw new ValidationError([
      {
        path: "all",
        message: `the selector matches ${truncated ? "at least " : ""}${records.length} builds, more than ${options.max}: set all (--all) to act on every one of them`,
      },
    ]);
  }
  let done = 0;
  for (let i = 0; i < records.length; i += CHUNK) {
    // Settle the whole chunk before failing: no work goes on after the request answered with an error.
    const results = await Promise.allSettled(records.slice(i, i + CHUNK).map(act));
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    done += results.filter((r) => r.status === "fulfilled" && r.value).length;
  }
  return { ...base, done, skipped: records.length - done };
}

export interface BulkDeps {
  redis: Redis;
  ks: Keyspace;
  store: BuildStore;
  /** The queue port. */
  queue: Pick<BuildQueues, "remove">;
}

/** Cancels every matched build through requestCancel (reason Selector), only while still in a selected state. */
export async function bulkCancel(deps: BulkDeps, selector: BuildSelector, options: BulkOptions & { by: string }): Promise<BulkAnswer> {
  const { records, truncated } = await matchBuilds(deps.redis, deps.ks, selector);
  const live = records.filter((r) => !isTerminalState(r.state));
  return runBulk(live, truncated, options, async (record) => {
    try {
      const after = await requestCancel({ store: deps.store, queue: deps.queue, redis: deps.redis, keyspace: deps.ks }, record.id, options.by, {
        reason: "Selector",
        ...(selector.states ? { onlyStates: selector.states } : {}),
      });
      return after.cancelRequestedAt !== undefined || after.state === "cancelled";
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  });
}

/** The idempotency key of the retry of `buildId`: one retry per build, however often it is asked for. */
export const retryKey = (buildId: string): string => `retry.${buildId}`;

/**
 * Retries every matched finished build with `resubmit` (the caller checks the
 * tenant's allow-list and submits). Builds not finished are skipped.
 */
export async function bulkRetry(
  deps: Pick<BulkDeps, "redis" | "ks">,
  selector: BuildSelector,
  options: BulkOptions,
  resubmit: (record: BuildRecord) => Promise<unknown>,
): Promise<BulkAnswer> {
  const { records, truncated } = await matchBuilds(deps.redis, deps.ks, selector);
  const finished = records.filter((r) => isTerminalState(r.state));
  return runBulk(finished, truncated, options, async (record) => {
    try {
      await resubmit(record);
      return true;
    } catch (err) {
      // A request the tenant may no longer submit (allow-list, tag policy) is skipped, not the whole batch.
      if (err instanceof BuildfleetError && (err.code === "VALIDATION_FAILED" || err.code === "FORBIDDEN")) return false;
      throw err;
    }
  });
}
