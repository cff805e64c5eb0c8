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
  ErrorBody,
} from "@buildfleet/contract";

/** GET/POST /ui/session */
export interface SessionView {
  tenant: string;
  scopes: string[];
  csrfToken: string;
  csrfHeader: string;
}
