import type { Keyspace } from "../redis/keyspace.js";

/** Redis keys of fleet operations (drain, pause ledger, worker registry), under the one prefix (same hash slot). */
export interface FleetKeys {
  /** String: epoch ms since which the queue is paused (absent when running). */
  pausedSince: string;
  /** Sorted set: closed pause intervals as "start:end", score = end (trimmed by age). */
  pauses: string;
  /** String: the drain in progress (JSON DrainState), absent when none. */
  drain: string;
  /** Hash: worker id → its last report (JSON WorkerReport). */
  workers: string;
  /** Hash: worker id → "quiet" while an operator wants it quiet. */
  quiet: string;
  /** Pub/sub channel: a worker id whose wanted state changed (the worker also re-reads it on each heartbeat). */
  control: string;
}

export function fleetKeys(ks: Keyspace): FleetKeys {
  const p = `${ks.bullPrefix}:fleet`;
  return {
    pausedSince: `${p}:paused-since`,
    pauses: `${p}:pauses`,
    drain: `${p}:drain`,
    workers: `${p}:workers`,
    quiet: `${p}:quiet`,
    control: `${p}:control`,
  };
}
