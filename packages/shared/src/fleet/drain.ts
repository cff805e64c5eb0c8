import type { Redis } from "ioredis";
import { DrainState } from "@buildfleet/contract";
import type { BuildStore } from "../builds/build-store.js";
import { NotFoundError } from "../errors/index.js";
import type { BuildQueues, JobState } from "../queue/build-queues.js";
import { requestCancel } from "../queue/cancel.js";
import type { Keyspace } from "../redis/keyspace.js";
import { fleetKeys } from "./fleet-keys.js";
import { createPauseLedger } from "./pause-ledger.js";

/**
 * Drain: stop intake (the queue pauses, and every paused moment is recorded
 * so it does not count as queue time), let in-flight builds finish, and
 * optionally cancel the queued ones through the normal cancel path (one
 * `build.cancelled` each, reason Drained) — never BullMQ's `drain()`, which
 * removes entries and leaves their records `queued` forever. The drain is
 * state in Redis, so any API replica reports it, a client may disconnect and
 * reattach, and running it twice is harmless. `resume` ends it.
 */

// The stored drain is part of the HTTP contract (GET /v1/queue shows it).
export { DrainState };

/** Retry-After of a submission refused by a reject-new drain. */
export const DRAIN_RETRY_AFTER_SECONDS = 60;

export interface QueueStatus {
  paused: boolean;
  /** Since when the queue is paused (ISO), per the pause ledger. */
  pausedSince: string | undefined;
  drain: (DrainState & { state: "draining" | "drained" }) | undefined;
  /** Builds a worker holds right now (BullMQ active). */
  running: number;
  /** Builds waiting (waiting + prioritized + delayed). */
  queued: number;
}

export interface FleetQueueDeps {
  redis: Redis;
  ks: Keyspace;
  /** The queue port. */
  queue: Pick<BuildQueues, "pause" | "resume" | "isPaused" | "counts" | "jobIds" | "remove" | "redisKey">;
  store: BuildStore;
  now?: () => number;
}

/** BullMQ states whose entries are builds not yet taken (delayed = waiting out an infrastructure retry). */
const WAITING_STATES = ["prioritized", "wait", "delayed"] as const satisfies readonly JobState[];
const CANCEL_CHUNK = 50;

export async function readDrain(redis: Redis, ks: Keyspace): Promise<DrainState | undefined> {
  const raw = await redis.get(fleetKeys(ks).drain);
  if (raw === null) return undefined;
  const parsed = DrainState.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : undefined;
}

/** Pauses the queue, recording the pause first so that no paused moment is ever counted as queue time. */
export async function pauseQueue(deps: FleetQueueDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  await createPauseLedger(deps.redis, deps.ks).open(now());
  await deps.queue.pause();
}

/** Resumes the queue and ends a drain. The ledger closes last: a crash in between leaves a pause that the next resume closes. */
export async function resumeQueue(deps: FleetQueueDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  await deps.queue.resume();
  await deps.redis.del(fleetKeys(deps.ks).drain);
  await createPauseLedger(deps.redis, deps.ks).close(now());
}

export interface StartDrainInput {
  by: string;
  reason?: string;
  cancelQueued: boolean;
  rejectNew: boolean;
}

export interface StartDrainResult {
  status: QueueStatus;
  /** Queued builds cancelled by this call. */
  cancelled: number;
}

/**
 * Starts (or repeats) a drain. A repeated call keeps the first `since` and
 * takes the latest flags; with cancelQueued it cancels whatever is still
 * queued, so re-running after a crash finishes the job.
 */
export async function startDrain(deps: FleetQueueDeps, input: StartDrainInput): Promise<StartDrainResult> {
  const now = deps.now ?? Date.now;
  const previous = await readDrain(deps.redis, deps.ks);
  const state: DrainState = DrainState.parse({
    since: previous?.since ?? new Date(now()).toISOString(),
    by: input.by,
    ...(input.reason !== undefined ? { reason: input.reason } : previous?.reason !== undefined ? { reason: previous.reason } : {}),
    cancelQueued: input.cancelQueued,
    rejectNew: input.rejectNew,
  });
  // The state first: from here on submissions see it (reject-new), and status reports it.
  await deps.redis.set(fleetKeys(deps.ks).drain, JSON.stringify(state));
  await pauseQueue(deps);
  const cancelled = input.cancelQueued ? await cancelQueued(deps, input.by) : 0;
  return { status: await readQueueStatus(deps), cancelled };
}

/**
 * Cancels every build queued now, each through requestCancel (reason
 * Drained). Only builds still `queued` are touched, atomically with the mark:
 * one that a worker already started goes on. Taken (active) entries whose
 * record is still queued are included; their owner cancels them.
 */
async function cancelQueued(deps: FleetQueueDeps, by: string): Promise<number> {
  // One snapshot of ids (not job hashes: a request can be 1 MiB): bounded by what was queued at this moment.
  const ids = await deps.queue.jobIds([...WAITING_STATES, "active"]);
  const unique = [...new Set(ids)];
  let cancelled = 0;
  for (let i = 0; i < unique.length; i += CANCEL_CHUNK) {
    const chunk = unique.slice(i, i + CANCEL_CHUNK);
    // The whole chunk settles before an error ends the call: nothing goes on after it answered.
    const results = await Promise.allSettled(
      chunk.map(async (id) => {
        try {
          const after = await requestCancel(
            { store: deps.store, queue: deps.queue, redis: deps.redis, keyspace: deps.ks },
            id,
            by,
            { reason: "Drained", onlyStates: ["queued"] },
          );
          return after.cancelReason === "Drained" ? 1 : 0;
        } catch (err) {
          // An entry without a record (a submit that failed half-way) is not a build to cancel.
          if (err instanceof NotFoundError) return 0;
          throw err;
        }
      }),
    );
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    cancelled += results.reduce((a, r) => a + (r.status === "fulfilled" ? r.value : 0), 0);
  }
  return cancelled;
}

// Waiting entries a worker took before (BullMQ keeps `processedOn` when a job goes back to wait:
// handed back on SIGTERM, or moved back as stalled after a crash). Small fields only: no job data.
const TAKEN_BEFORE = `
local out = {}
for _, key in ipairs(KEYS) do
  local ids
  if redis.call('TYPE', key)['ok'] == 'list' then ids = redis.call('LRANGE', key, 0, -1) else ids = redis.call('ZRANGE', key, 0, -1) end
  for _, id in ipairs(ids) do
    if redis.call('HEXISTS', ARGV[1] .. id, 'processedOn') == 1 then out[#out + 1] = id end
  end
end
return out
`;
const HANDED_BACK_CHECK_MAX = 1_000;

/**
 * Builds whose Kaniko Job may still run although no worker holds them: taken
 * before, back in the (paused) queue, and recorded as starting, running or retrying. A
 * worker stopped during a drain hands its builds back; without this, the
 * drain would say "drained" while their Jobs still run in the cluster.
 */
async function handedBackRunning(deps: Pick<FleetQueueDeps, "redis" | "ks" | "queue">): Promise<number> {
  // Read-only over BullMQ's layout (the port's redisKey): BullMQ has no call for "taken before".
  const keys = WAITING_STATES.map((s) => deps.queue.redisKey(s));
  const ids = ((await deps.redis.eval(TAKEN_BEFORE, keys.length, ...keys, deps.queue.redisKey(""))) as string[]).slice(0, HANDED_BACK_CHECK_MAX);
  if (ids.length === 0) return 0;
  const records = await deps.redis.pipeline(ids.map((id) => ["hget", deps.ks.build(id), "record"])).exec();
  let n = 0;
  for (const [, raw] of records ?? []) {
    if (typeof raw !== "string") continue;
    // The record's own state comes first in its JSON (after id and tenant, which cannot hold it).
    const state = /"state":"([a-z]+)"/.exec(raw)?.[1];
    if (state === "starting" || state === "running" || state === "retrying") n++;
  }
  return n;
}

/**
 * The queue and its drain. `handedBack: false` skips the O(waiting) look for
 * handed-back builds (a tenant's view, which counts only its own builds).
 */
export async function readQueueStatus(
  deps: Pick<FleetQueueDeps, "redis" | "ks" | "queue">,
  options: { handedBack?: boolean } = {},
): Promise<QueueStatus> {
  const [paused, pausedSince, drain, counts] = await Promise.all([
    deps.queue.isPaused(),
    createPauseLedger(deps.redis, deps.ks).pausedSince(),
    readDrain(deps.redis, deps.ks),
    deps.queue.counts(),
  ]);
  const active = counts.active;
  // Only while draining and nothing is active: that is when "nothing runs any more" must be true.
  const running = active + (drain && active === 0 && options.handedBack !== false ? await handedBackRunning(deps) : 0);
  return {
    paused,
    pausedSince: pausedSince === undefined ? undefined : new Date(pausedSince).toISOString(),
    drain: drain ? { ...drain, state: running === 0 ? "drained" : "draining" } : undefined,
    running,
    queued: counts.waiting + counts.prioritized + counts.delayed,
  };
}
