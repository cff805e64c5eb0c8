import type { BuildQueues } from "./build-queues.js";
import type { Redis } from "ioredis";
import { isTerminalState, type BuildRecord, type BuildState, type CancelReason } from "../contract/index.js";
import { NotFoundError } from "../errors/index.js";
import type { Keyspace } from "../redis/keyspace.js";
import type { BuildStore } from "../builds/build-store.js";

export interface CancelDeps {
  store: BuildStore;
  /** The queue port. */
  queue: Pick<BuildQueues, "remove">;
  /** Any connection that may PUBLISH (not a subscriber). */
  redis: Redis;
  keyspace: Keyspace;
}

/**
 * Cancels a build. A build still waiting in the queue is removed from it and
 * recorded `cancelled` here. A build a worker already took is marked
 * (`cancelRequestedAt`) and its owner is told over pub/sub; the owner records
 * `cancelled` once and deletes the Job (propagationPolicy Background). If the
 * message is missed (owner reconnecting, or dead), the mark is still there:
 * the owner's periodic sweep, or whichever worker picks the build up again,
 * acts on it. Cancelling a finished build changes nothing.
 */
export interface CancelOptions {
  /** Recorded as cancelReason and carried into build.cancelled (default: none, i.e. asked for directly). */
  reason?: CancelReason;
  /**
   * Cancel only while the build is in one of these states, checked atomically
   * with the cancel mark (a drain must not cancel a build that just started).
   */
  onlyStates?: readonly BuildState[];
}

export async function requestCancel(deps: CancelDeps, buildId: string, by?: string, options: CancelOptions = {}): Promise<BuildRecord> {
  const { reason, onlyStates } = options;
  const { store, queue, redis, keyspace } = deps;
  const record = await store.get(buildId);
  if (!record) throw new NotFoundError(`build ${buildId} not found`);
  if (isTerminalState(record.state)) return record;
  if (onlyStates && !onlyStates.includes(record.state)) return record;
  const marked = await store.patch(buildId, (r) =>
    isTerminalState(r.state) || r.cancelRequestedAt || (onlyStates && !onlyStates.includes(r.state))
      ? undefined
      : { cancelRequestedAt: new Date().toISOString(), ...(by ? { cancelledBy: by } : {}), ...(reason ? { cancelReason: reason } : {}) },
  );
  // Not marked by us nor anyone: it left the allowed states (or finished) meanwhile.
  if (!marked.cancelRequestedAt) return marked;
  if (marked.state === "queued") {
    // 1 when it was still waiting; 0 when a worker holds its lock (then the worker cancels it).
    const removed = await queue.remove(buildId);
    if (removed === 1) {
      const res = await store.transition(buildId, {
        to: "cancelled",
        event: {
          type: "build.cancelled",
          // From the record: a concurrent cancel that marked it first keeps its own by/reason.
          data: (r) => ({ buildId: r.id, ...(r.cancelledBy ? { by: r.cancelledBy } : {}), ...(r.cancelReason ? { reason: r.cancelReason } : {}) }),
        },
      });
      return res.record;
    }
  }
  await redis.publish(keyspace.cancelChannel, buildId);
  return (await store.get(buildId)) ?? marked;
}
