/**
 * Every response shape the dashboard uses, in one module: they come from
 * @buildfleet/shared for now and are to be repointed at @buildfleet/contract.
 * Type-only imports: nothing of the server's code reaches the bundle.
 */
export type { BuildEvent, BuildEventType, BuildRecord, BuildRequest, BuildState } from "@buildfleet/shared";
import type { BuildEvent, BuildRecord, BuildState } from "@buildfleet/shared";

/** GET /v1/builds/:id */
export type BuildView = BuildRecord & { events: BuildEvent[] };
/** GET /v1/builds */
export interface BuildList {
  items: BuildRecord[];
  nextCursor: string | null;
}
/** POST /v1/builds */
export interface BuildSummary {
  id: string;
  state: BuildState;
  queuePosition: number | null;
  idempotent: boolean;
}
/** GET /v1/queue */
export interface QueueView {
  counts: { waiting: number; active: number; delayed: number; prioritized: number; completed: number; failed: number };
  paused: boolean;
}
/** GET/POST /ui/session */
export interface SessionView {
  tenant: string;
  scopes: string[];
  csrfToken: string;
  csrfHeader: string;
}
/** Every error the API answers. */
export interface ErrorBody {
  error: { code: string; message: string; issues?: { path: string; message: string }[] };
}
