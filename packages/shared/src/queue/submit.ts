import type { Queue } from "bullmq";
import {
  BuildRecord,
  newBuildId,
  parseBuildRequest,
  type QueuedBuild,
  type TagPolicy,
} from "../contract/index.js";
import type { BuildStore } from "../builds/build-store.js";
import { BUILD_JOB_NAME, buildJobOptions } from "./build-queue.js";
import { buildAttributes, withSpan } from "../tracing/tracing.js";

export interface SubmitDeps {
  store: BuildStore;
  queue: Queue;
  tagPolicy: TagPolicy;
  now?: () => Date;
}

export interface SubmitInput {
  tenant: string;
  /** Untrusted: validated here (ValidationError names each bad field). */
  request: unknown;
  /** Overrides `request.idempotencyKey` (e.g. from an Idempotency-Key header). */
  idempotencyKey?: string;
}

export type SubmitResult =
  | { created: true; record: BuildRecord }
  | { created: false; buildId: string; record: BuildRecord | undefined };

/**
 * Validates a request, adds it to the queue under its build id, then records
 * it as `queued` (publishing `build.queued`). Nothing is half-written: an
 * invalid request writes nothing; the queue entry comes first because it is
 * what makes the build happen, and a worker that takes an entry whose record
 * is missing (the second write failed) creates the record itself from the
 * entry. A repeated idempotency key returns the first build and enqueues nothing.
 */
export async function submitBuild(deps: SubmitDeps, input: SubmitInput): Promise<SubmitResult> {
  const request = parseBuildRequest(input.request, { tagPolicy: deps.tagPolicy });
  const idempotencyKey = input.idempotencyKey ?? request.idempotencyKey;
  if (idempotencyKey) {
    const existing = await deps.store.findByIdempotencyKey(input.tenant, idempotencyKey);
    if (existing) return { created: false, buildId: existing, record: await deps.store.get(existing) };
  }
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const queued: QueuedBuild = { buildId: newBuildId(), tenant: input.tenant, request, submittedAt: now };
  // The root of the build's trace: BullMQ's add span (and, through the job, the worker's) hangs below it.
  return withSpan("buildfleet.submit", buildAttributes({ buildId: queued.buildId, tenant: queued.tenant, destinations: request.destinations }), () =>
    enqueueAndRecord(deps, queued, idempotencyKey),
  );
}

async function enqueueAndRecord(deps: SubmitDeps, queued: QueuedBuild, idempotencyKey: string | undefined): Promise<SubmitResult> {
  await deps.queue.add(BUILD_JOB_NAME, queued, buildJobOptions(queued));

  let created: Awaited<ReturnType<BuildStore["create"]>>;
  try {
    created = await deps.store.create(recordForQueuedBuild(queued), idempotencyKey ? { idempotencyKey } : {});
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
    // Lost a race on the idempotency key: drop our entry, answer with the winner.
    await deps.queue.remove(queued.buildId);
    return { created: false, buildId: created.buildId, record: await deps.store.get(created.buildId) };
  }
  return { created: true, record: created.record };
}

/** The initial `queued` record of a queue entry. */
export function recordForQueuedBuild(queued: QueuedBuild): BuildRecord {
  return BuildRecord.parse({
    id: queued.buildId,
    tenant: queued.tenant,
    state: "queued",
    request: queued.request,
    labels: queued.request.labels ?? {},
    createdAt: queued.submittedAt,
    updatedAt: queued.submittedAt,
    sequence: 1,
  });
}
