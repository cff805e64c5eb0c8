import type { WorkerView } from "@buildfleet/contract";

/** Fleet operations (drain, workers, bulk by selector) as the client sees them. */

export interface DrainInfo {
  state: "draining" | "drained";
  since: string;
  by: string;
  reason?: string;
  cancelQueued: boolean;
  rejectNew: boolean;
}

export interface DrainOptions {
  /** Cancel every queued build (one build.cancelled each, reason Drained). */
  cancelQueued?: boolean;
  /** Answer submissions 503 with Retry-After until resumed. */
  rejectNew?: boolean;
  reason?: string;
  signal?: AbortSignal;
}

export interface DrainAnswer {
  paused: boolean;
  pausedSince: string | null;
  drain: DrainInfo | null;
  running: number;
  queued: number;
  cancelled: number;
}

/** A worker as GET /v1/workers lists it: the contract's response schema. */
export type WorkerInfo = WorkerView;

/** Which builds a bulk operation acts on. At least one of selector or state. */
export interface BulkSelector {
  /** Equality label selector, e.g. "team=payments,env=prod". */
  selector?: string;
  state?: string | readonly string[];
  /** Admin tokens only: one tenant's builds (default: every tenant's). */
  tenant?: string;
  /** Count and show the first ids; change nothing. */
  dryRun?: boolean;
  /** Needed when more builds match than the API's bound (see `max`, `needsAll`). */
  all?: boolean;
  signal?: AbortSignal;
}

export interface BulkAnswer {
  dryRun: boolean;
  matched: number;
  truncated: boolean;
  max: number;
  needsAll: boolean;
  ids: string[];
  done: number;
  skipped: number;
}
