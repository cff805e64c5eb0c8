/**
 * Every response shape the dashboard uses, in one module: they come from
 * @buildfleet/contract, the response schemas the API answers with.
 * Type-only imports: nothing of the server's code reaches the bundle.
 */
export type {
  BuildEvent,
  BuildEventType,
  BuildRecord,
  BuildRequest,
  BuildState,
  BuildView,
  BuildList,
  BuildSummary,
  QueueView,
  QueueLanes,
  LaneCounts,
  WaveNodeState,
  WaveState,
  ErrorBody,
  ScheduleView,
  ScheduleRunView,
  ImageStatus,
  ImageGraph,
} from "@buildfleet/contract";
export type { WorkerView as WorkerInfo } from "@buildfleet/contract";

/**
 * /v1/rebuilds is not in the contract yet (the SDK types it as the API
 * answers); ImageView is the contract's status on the Image document typed as
 * applied (the contract's own ImageView leaves the echoed spec open).
 */
export type { ImageView, WaveView, WaveNodeView } from "@buildfleet/sdk";

/** GET/POST /ui/session */
export interface SessionView {
  tenant: string;
  scopes: string[];
  csrfToken: string;
  csrfHeader: string;
}
