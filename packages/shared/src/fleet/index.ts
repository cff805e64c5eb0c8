export { fleetKeys } from "./fleet-keys.js";
export type { FleetKeys } from "./fleet-keys.js";
export { pausedMsBetween, queueDeadline } from "./pause-time.js";
export type { PauseInterval } from "./pause-time.js";
export { createPauseLedger, PAUSE_HISTORY_MS } from "./pause-ledger.js";
export type { PauseLedger } from "./pause-ledger.js";
export { DRAIN_RETRY_AFTER_SECONDS, readDrain, pauseQueue, resumeQueue, startDrain, readQueueStatus } from "./drain.js";
export type { QueueStatus, FleetQueueDeps, StartDrainInput, StartDrainResult } from "./drain.js";
export {
  WorkerId,
  WorkerReport,
  WorkerState,
  WORKER_STATES,
  HEARTBEAT_MS,
  GONE_AFTER_BEATS,
  FORGET_AFTER_MS,
  workerView,
  createWorkerRegistry,
} from "./workers.js";
export type { WorkerView, WorkerRegistry } from "./workers.js";
export { parseSelector } from "./selector.js";
export { bulkCancel, bulkRetry, matchBuilds, retryKey, MATCH_HARD_CAP, SAMPLE_SIZE } from "./bulk.js";
export type { BuildSelector, BulkOptions, BulkAnswer, BulkDeps } from "./bulk.js";
