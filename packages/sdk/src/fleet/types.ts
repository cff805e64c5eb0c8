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

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  version: string;
  capacity: number;
  inFlight: number;
  state: "running" | "quiet" | "gone";
  startedAt: string;
  heartbeatAt: string;
}
