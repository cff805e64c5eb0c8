import type { BuildQueues } from "./build-queues.js";
import { newBuildId, type BuildRecord, type BuildRequest, type QueuedBuild, type RebuildOrigin, type TagPolicy } from "../contract/index.js";
import type { BuildStore, CreateOptions } from "../builds/build-store.js";
import { IdempotencyKeyReusedError } from "../errors/index.js";
import { BUILD_JOB_NAME, buildJobOptions } from "./build-queue.js";
import { requestHash } from "./request-hash.js";
import { buildAttributes, withSpan } from "../tracing/tracing.js";
import type { FairShare } from "../admission/fair-share.js";

export interface SubmitDeps {
  store: BuildStore;
  /** The queue port. */
  queue: Pick<BuildQueues, "add" | "remove">;
  /** Orders tenants fairly inside a lane (see admission/fair-share.ts); without it a build goes to the front of its lane. */
  fairShare?: Pick<FairShare, "priority">;
  /** Unused since the request arrives validated (kept so existing callers compile); the boundary applies it. */
  tagPolicy?: TagPolicy;
  now?: () => Date;
}

export interface SubmitInput {
  tenant: string;
  /**
   * Validated once, at the boundary that received it (the API route:
   * `validateBuildRequest`/`parseBuildRequest` with the tag policy); nothing
   * below re-validates it.
   */
  request: BuildRequest;
  /** Overrides `request.idempotencyKey` (e.g. from an Idempotency-Key header). */
  idempotencyKey?: string;
  /** The build this one re-runs (recorded as retryOf). */
  retryOf?: string;
  /** The tenant's fair-share weight (token configuration; default 1). */
  weight?: number;
  /** A scheduled mirror's pinned source digest, kept on the record and in build.succeeded. */
  sourceDigest?: string;
  /** The rebuild wave node this build is for: recorded with the entry and the record, before either is visible. */
  rebuild?: RebuildOrigin;
}

export type SubmitResult =
  | { created: true; record: BuildRecord }
  | { created: false; buildId: string; record: BuildRecord | undefined };

/**
 * Adds a validated request to the queue under its build id, then records
 * it as `queued` (publishing `build.queued`). Nothing is half-written: the queue entry comes first because it is
 * what makes the build happen, and a worker that takes an entry whose record
 * is missing (the second write failed) creates the record itself from the
 * entry, claiming the entry's idempotency key as this create would have. Two
 * submits that both read a key as free both add an entry; the key, claimed
 * atomically by whichever create comes first (submit's or a worker's), decides
 * which one runs, and the other entry is removed or dropped by its worker.
 * A repeated idempotency key with the same request (same canonical hash)
 * returns the first build and enqueues nothing; with a different request it is
 * refused with IdempotencyKeyReusedError naming the first build.
 */
export async function submitBuild(deps: SubmitDeps, input: SubmitInput): Promise<SubmitResult> {
  const request = input.request;
  const idempotencyKey = input.idempotencyKey ?? request.idempotencyKey;
  const hash = requestHash(request);
  const original = async (existing: { buildId: string; requestHash: string | undefined }): Promise<SubmitResult> => {
    // A key stored before hashes were kept (requestHash undefined) is taken as matching.
    if (idempotencyKey && existing.requestHash !== undefined && existing.requestHash !== hash) {
      throw new IdempotencyKeyReusedError(idempotencyKey, existing.buildId);
    }
    return { created: false, buildId: existing.buildId, record: await deps.store.get(existing.buildId) };
  };
  if (idempotencyKey) {
    const existing = await deps.store.findIdempotent(input.tenant, idempotencyKey);
    if (existing) return original(existing);
  }
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const queued: QueuedBuild = {
    buildId: newBuildId(),
    tenant: input.tenant,
    // The entry carries the effective key (the header's overrides the request's) in its request, where
    // workers of every version read it: a worker that records the build from its entry claims it.
    request: entryRequest(request, idempotencyKey),
    submittedAt: now,
    ...(input.retryOf !== undefined ? { retryOf: input.retryOf } : {}),
    ...(input.sourceDigest !== undefined ? { sourceDigest: input.sourceDigest } : {}),
    ...(input.rebuild !== undefined ? { rebuild: input.rebuild } : {}),
  };
  // The root of the build's trace: BullMQ's add span (and, through the job, the worker's) hangs below it.
  return withSpan("buildfleet.submit", buildAttributes({ buildId: queued.buildId, tenant: queued.tenant, destinations: request.destinations }), async () => {
    // Fair share (issue 15): the entry's place within its lane, after the tenant's previous builds by its weight.
    const priority = deps.fairShare ? await deps.fairShare.priority(request.priority, input.tenant, input.weight) : undefined;
    return enqueueAndRecord(deps, queued, priority, { idempotencyKey, hash, original });
  });
}

/** Enqueue, then record; `key.original` answers when another submit holds the idempotency key. */
async function enqueueAndRecord(
  deps: SubmitDeps,
  queued: QueuedBuild,
  priority: number | undefined,
  key: {
    idempotencyKey: string | undefined;
    hash: string;
    original: (existing: { buildId: string; requestHash: string | undefined }) => Promise<SubmitResult>;
  },
): Promise<SubmitResult> {
  const { idempotencyKey, hash, original } = key;
  await deps.queue.add(BUILD_JOB_NAME, queued, buildJobOptions(queued, priority));

  let created: Awaited<ReturnType<BuildStore["create"]>>;
  try {
    created = await deps.store.create(recordForQueuedBuild(queued), idempotencyKey ? { idempotencyKey, requestHash: hash } : {});
  } catch (err) {
    // Best effort: without its record the entry would still run (the worker recreates the record).
    await deps.queue.remove(queued.buildId).catch(() => 0);
    throw err;
  }
  if (!created.created && created.buildId === queued.buildId) {
    // A worker took the entry first and created the record from it: same build.
    return { created: true, record: (await deps.store.get(queued.buildId)) ?? recordForQueuedBuild(queued) };
  }
  if (!created.created) {
    // Lost a race on the idempotency key: drop our entry, answer with the winner. A worker may hold
    // the entry already (BullMQ removes no locked job; remove answers 0): it finds the key taken by
    // another build when it records the entry, and drops it without running it (run-build.ts).
    await deps.queue.remove(queued.buildId);
    return original({ buildId: created.buildId, requestHash: created.requestHash });
  }
  return { created: true, record: created.record };
}

/**
 * The options a queue entry's record is created with, as its submit created it:
 * the entry's idempotency key, claimed for this build with its request's hash.
 * A worker recording an entry whose record is missing passes them, so the key
 * decides which of two racing submits' entries runs (see run-build.ts).
 */
export function createOptionsForQueuedBuild(queued: QueuedBuild): CreateOptions {
  const key = queued.request.idempotencyKey;
  return key !== undefined ? { idempotencyKey: key, requestHash: requestHash(queued.request) } : {};
}

/**
 * The request as its queue entry carries it: with the key it was submitted
 * under as its idempotencyKey. Not a field of the entry beside the request:
 * a worker of the version before reads only the request's (and refuses an
 * entry with a field it does not know), so a rolling upgrade keeps working.
 * The request's hash leaves the key out: the hash is the same either way.
 */
export function entryRequest(request: BuildRequest, idempotencyKey: string | undefined): BuildRequest {
  return idempotencyKey === undefined || request.idempotencyKey === idempotencyKey ? request : { ...request, idempotencyKey };
}

/**
 * The initial `queued` record of a queue entry. Not parsed: the entry's request
 * is already validated and BuildStore.create checks the rest of the record.
 */
export function recordForQueuedBuild(queued: QueuedBuild): BuildRecord {
  return {
    id: queued.buildId,
    tenant: queued.tenant,
    state: "queued",
    request: queued.request,
    attempts: [],
    labels: queued.request.labels ?? {},
    createdAt: queued.submittedAt,
    updatedAt: queued.submittedAt,
    sequence: 1,
    ...(queued.retryOf !== undefined ? { retryOf: queued.retryOf } : {}),
    ...(queued.sourceDigest !== undefined ? { sourceDigest: queued.sourceDigest } : {}),
    ...(queued.rebuild !== undefined ? { rebuild: queued.rebuild } : {}),
  };
}
