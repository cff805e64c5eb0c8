import type { BuildQueues } from "./build-queues.js";
import { z } from "zod";
import { BuildId, RebuildOrigin, Tenant, toFieldIssues } from "../contract/index.js";
import type { BuildRecord, BuildRequest, Priority, QueuedBuild } from "../contract/index.js";
import type { BuildStore, CreateResult } from "../builds/build-store.js";
import { IdempotencyKeyReusedError, ValidationError, isRetryable } from "../errors/index.js";
import type { FairShare } from "../admission/fair-share.js";
import { withSpan } from "../tracing/tracing.js";
import { BUILD_JOB_NAME, buildJobOptions } from "./build-queue.js";
import { requestHash } from "./request-hash.js";
import { entryRequest, recordForQueuedBuild } from "./submit.js";

/**
 * Many builds submitted as one batch: what `submitBuild` does per build, in
 * a fixed number of round trips for the whole batch (read the keys, fair-share
 * tags, then the entries and records). The entries and records go out in
 * chunks of WRITE_CHUNK, all in flight at once, each chunk's records right
 * after its entries are in: Redis runs one chunk while this process encodes
 * the next, instead of each side waiting for the other's whole batch.
 *
 * Crash safety comes from the caller's build ids: each is derived from its
 * idempotency key (same key, same id), so a batch repeated after a crash at
 * any point adds no second queue entry (BullMQ ignores an add of an existing
 * job id), and the records and keys it did not write yet are written then.
 * A build whose record exists already (a worker took its entry and recorded
 * it) is not added again: its entry may have been removed after it finished.
 */

export interface SubmitManyDeps {
  store: Pick<BuildStore, "findIdempotentMany" | "create" | "createMany">;
  /** The queue port. */
  queue: Pick<BuildQueues, "addBulk" | "remove">;
  fairShare?: Pick<FairShare, "priorities">;
  now?: () => Date;
}

export interface SubmitManyItem {
  tenant: string;
  /** Validated at the boundary that received it, as for submitBuild. */
  request: BuildRequest;
  idempotencyKey: string;
  /** The build's id, a function of the idempotency key (see above). */
  buildId: string;
  /** The tenant's fair-share weight (default 1). */
  weight?: number;
  /**
   * The build's fair-share tag, when the caller took the tags of a larger
   * batch at once (FairShare.priorities) and submits it in parts; otherwise
   * taken here from deps.fairShare.
   */
  tag?: number;
  /** The rebuild wave node this build is for: on the entry and the record from the start. */
  rebuild?: RebuildOrigin;
  /**
   * The key is minted by the system for exactly this build (a wave node's
   * attempt), not by a caller who could reuse it for another request: no
   * request hash is kept or compared. A step repeated after the catalog
   * changed finds the build its first run queued, not a "reused key".
   */
  systemKey?: boolean;
}

export type SubmitManyResult =
  | { ok: true; buildId: string; created: boolean }
  /** Refused, nothing enqueued for this item: e.g. the key was first used for a different request (IdempotencyKeyReusedError). */
  | { ok: false; error: Error };

/** What an item adds to its (validated) request on the entry and the record. */
const ItemParts = z.object({ tenant: Tenant, buildId: BuildId, rebuild: RebuildOrigin.optional(), tag: z.number().int().positive().optional() });

/** Why an item cannot be submitted, checked as the batch enters: nothing of it is queued or recorded. */
function refusal(item: SubmitManyItem): ValidationError | undefined {
  const parts = ItemParts.safeParse({ tenant: item.tenant, buildId: item.buildId, rebuild: item.rebuild, tag: item.tag });
  return parts.success ? undefined : new ValidationError(toFieldIssues(parts.error.issues, item), `invalid build ${item.buildId} of ${item.tenant}`);
}

export async function submitBuilds(deps: SubmitManyDeps, items: readonly SubmitManyItem[]): Promise<SubmitManyResult[]> {
  if (items.length === 0) return [];
  return withSpan("buildfleet.submit.many", { "buildfleet.builds": items.length }, async () => {
    const results = new Array<SubmitManyResult | undefined>(items.length);
    // The records are made of these parts and the requests, and written without a second parse (createMany's `checked`).
    const valid: number[] = [];
    items.forEach((item, i) => {
      const error = refusal(item);
      if (error === undefined) valid.push(i);
      else results[i] = { ok: false, error };
    });
    const hashes = items.map((item, i) => (results[i] === undefined && item.systemKey !== true ? requestHash(item.request) : undefined));
    const found = await deps.store.findIdempotentMany(valid.map((i) => ({ tenant: items[i]!.tenant, key: items[i]!.idempotencyKey, buildId: items[i]!.buildId })));
    const fresh: number[] = [];
    const recorded = new Set<number>();
    found.forEach((f, n) => {
      const i = valid[n]!;
      const item = items[i]!;
      if (f.recorded) recorded.add(i);
      if (f.existing === undefined) fresh.push(i);
      // A key stored before hashes were kept (requestHash undefined) is taken as matching.
      else if (hashes[i] !== undefined && f.existing.requestHash !== undefined && f.existing.requestHash !== hashes[i]) {
        results[i] = { ok: false, error: new IdempotencyKeyReusedError(item.idempotencyKey, f.existing.buildId) };
      } else results[i] = { ok: true, buildId: f.existing.buildId, created: false };
    });

    const submittedAt = (deps.now ?? (() => new Date()))().toISOString();
    const queued = new Map<number, QueuedBuild>(
      fresh.map((i) => {
        const item = items[i]!;
        const build: QueuedBuild = {
          buildId: item.buildId,
          tenant: item.tenant,
          // As submitBuild's: a worker recording the entry claims the key (its build id is the key's anyway).
          request: entryRequest(item.request, item.idempotencyKey),
          submittedAt,
          ...(item.rebuild !== undefined ? { rebuild: item.rebuild } : {}),
        };
        return [i, build];
      }),
    );
    const toAdd = fresh.filter((i) => !recorded.has(i));
    const priorities = await fairSharePriorities(deps, toAdd.map((i) => items[i]!));
    const priority = new Map(toAdd.map((i, n) => [i, priorities[n]]));
    const writes: Promise<(CreateResult | Error)[]>[] = [];
    for (let from = 0; from < fresh.length; from += WRITE_CHUNK) {
      const chunk = fresh.slice(from, from + WRITE_CHUNK);
      const entries = chunk.flatMap((i) => {
        if (recorded.has(i)) return [];
        const build = queued.get(i)!;
        return [{ name: BUILD_JOB_NAME, data: build, opts: buildJobOptions(build, priority.get(i)) }];
      });
      // The entries first (what makes the builds happen), then the records, as submitBuild orders them.
      const added = entries.length > 0 ? deps.queue.addBulk(entries) : Promise.resolve();
      writes.push(added.then(() => createRecords(deps, chunk.map((i) => ({ record: recordForQueuedBuild(queued.get(i)!), idempotencyKey: items[i]!.idempotencyKey, requestHash: hashes[i] })))));
    }
    const records = (await settleAll(writes)).flat();
    // Most builds are settled here and now; only a refused or lost one waits for its entry's removal.
    const removals: Promise<unknown>[] = [];
    fresh.forEach((i, n) => {
      const item = items[i]!;
      const created = records[n]!;
      if (created instanceof Error) {
        // A record refused fails this build only (its entry removed, best effort).
        removals.push(deps.queue.remove(item.buildId).catch(() => 0));
        results[i] = { ok: false, error: created };
        return;
      }
      // Not created but our id: a worker recorded it from the entry first (the key is claimed all the same).
      if (created.created || created.buildId === item.buildId) {
        results[i] = { ok: true, buildId: item.buildId, created: true };
        return;
      }
      // Another id: a submit with the same key and another build id won; drop our entry, its build is the one.
      removals.push(deps.queue.remove(item.buildId));
      results[i] =
        hashes[i] !== undefined && created.requestHash !== undefined && created.requestHash !== hashes[i]
          ? { ok: false, error: new IdempotencyKeyReusedError(item.idempotencyKey, created.buildId) }
          : { ok: true, buildId: created.buildId, created: false };
    });
    await Promise.all(removals);
    return results.map((r) => r!);
  });
}

/** Builds per chunk of entries and records (see above). Measured with the wave benchmark: 125 to 500 do about the same, 1,000 (one chunk) is slower. */
const WRITE_CHUNK = 250;

/**
 * Promise.all that waits for every write before it throws: a failed chunk
 * does not leave the others running behind the caller's back (repeating the
 * batch is safe; racing it is needless). Also submitLevel's, for its parts.
 */
export async function settleAll<T>(writes: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(writes);
  const failed = settled.find((s) => s.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** Tags per lane, each lane's builds in their order; a build's own tag when it has one; undefined without fair share (the lane's plain band). */
async function fairSharePriorities(deps: SubmitManyDeps, items: readonly SubmitManyItem[]): Promise<(number | undefined)[]> {
  const out = items.map((item) => item.tag);
  if (deps.fairShare === undefined) return out;
  const byLane = new Map<Priority, number[]>();
  items.forEach((item, i) => {
    if (item.tag !== undefined) return;
    const list = byLane.get(item.request.priority);
    if (list === undefined) byLane.set(item.request.priority, [i]);
    else list.push(i);
  });
  for (const [lane, indices] of byLane) {
    const tags = await deps.fairShare.priorities(
      lane,
      indices.map((i) => ({ tenant: items[i]!.tenant, ...(items[i]!.weight !== undefined ? { weight: items[i]!.weight } : {}) })),
    );
    indices.forEach((i, n) => (out[i] = tags[n]));
  }
  return out;
}

/**
 * The records in one batch; when the batch is refused for a reason other
 * than Redis (a record that does not check), each build alone, so only the
 * bad one fails. Redis trouble fails the whole call (repeating it is safe).
 */
async function createRecords(
  deps: SubmitManyDeps,
  builds: readonly { record: BuildRecord; idempotencyKey: string; requestHash: string | undefined }[],
): Promise<(CreateResult | Error)[]> {
  const many = builds.map((b) => ({ record: b.record, options: { idempotencyKey: b.idempotencyKey, ...(b.requestHash !== undefined ? { requestHash: b.requestHash } : {}) } }));
  try {
    return await deps.store.createMany(many, { checked: true });
  } catch (err) {
    if (isRetryable(err) || !(err instanceof Error)) throw err;
  }
  return Promise.all(
    many.map(async (b) => {
      try {
        return await deps.store.create(b.record, b.options);
      } catch (err) {
        if (isRetryable(err) || !(err instanceof Error)) throw err;
        return err;
      }
    }),
  );
}
