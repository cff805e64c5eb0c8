import type { K8sError } from "./errors.js";

/** The watch stream's contract, shared by the client (client.ts) and the stream reader (watch.ts). */

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface WatchCallbacks<T> {
  onEvent(type: WatchEventType, object: T): void;
  /** BOOKMARK: no object change, only a newer resourceVersion (and proof the stream is alive). */
  onBookmark(resourceVersion: string): void;
  /**
   * Called exactly once when the watch ends: `undefined` for a normal server-side
   * close (re-watch from the last resourceVersion), a `K8sError` otherwise
   * (`GONE` → relist). Not called after `abort()`.
   */
  onEnd(err: K8sError | undefined): void;
}

export interface WatchOptions {
  labelSelector: string;
  resourceVersion: string;
  /** Server-side bound on the watch's length; the caller re-watches. */
  timeoutSeconds?: number;
}

export interface WatchHandle {
  /** No callback after it, onEnd included; the connection is closed. */
  abort(): void;
  /** Lines of the stream that were not JSON, skipped (their content is never kept). */
  readonly skippedLines?: number;
}
