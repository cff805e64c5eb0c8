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
} from "@buildfleet/contract";

/**
 * The shapes of /v1/workers, /v1/images, /v1/rebuilds and /v1/schedules: the
 * contract does not own them yet, the SDK types them as the API answers.
 */
export type { WorkerInfo, ImageView, WaveView, WaveNodeView, ScheduleView, ScheduleRunView } from "@buildfleet/sdk";

/** GET/POST /ui/session */
export interface SessionView {
  tenant: string;
  scopes: string[];
  csrfToken: string;
  csrfHeader: string;
}
