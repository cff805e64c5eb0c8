import type { WatchCallbacks, WatchHandle, WatchOptions } from "./watch-types.js";
import { K8sError, k8sErrorFromWatchStatus, toK8sError } from "./errors.js";
import type { RestClient } from "./rest.js";
import { createLineSplitter, MAX_WATCH_LINE_BYTES } from "./watch-lines.js";

/**
 * Part of the Kubernetes adapter: a watch as one streaming GET on our REST layer (rest.ts:
 * kubeconfig credentials, TLS, a connection outside the request pool), its newline-delimited
 * JSON events turned into `WatchCallbacks`. Replaces client-node's Watch (node-fetch, a
 * PassThrough and readline per stream), whose per-line overhead showed in burst profiles.
 *
 * The contract is client-node's Watch as the adapter used it, kept exactly, because the
 * reflector (tracking/reflector.ts) relies on it:
 * - the returned promise REJECTS only when the server could not be asked: no credentials,
 *   client closed, no headers within the deadline (the socket is closed). Then onEnd is
 *   never called.
 * - an error answer (403, 410, 429…) or a failed connection is reported by onEnd(K8sError)
 *   BEFORE the promise resolves (with a handle that has nothing left to abort). The reflector
 *   relists on GONE from onEnd; its rejection path only backs off and re-watches.
 * - on a 200, callbacks start after the promise resolved (the caller holds the handle first);
 *   an `ERROR` event → onEnd(error of its Status) and the stream is closed; the server ending
 *   the stream → onEnd(undefined); the connection failing mid-stream → onEnd(UNAVAILABLE).
 * - `abort()` → no callback any more, onEnd included, and the socket is closed.
 * onEnd is called at most once.
 */

export interface WatchRequest {
  operation: string;
  /** Collection path without the server's base path. */
  path: string;
  options: WatchOptions;
  /** Bound on one event's line (tests lower it). */
  maxEventBytes?: number;
}

export type WatchEventLine = { type?: unknown; object?: unknown };

export async function openWatch<T>(rest: RestClient, req: WatchRequest, cb: WatchCallbacks<T>): Promise<WatchHandle & { readonly skippedLines: number }> {
  const { operation } = req;
  const start = await rest.stream(operation, {
    path: req.path,
    query: {
      watch: "true",
      labelSelector: req.options.labelSelector,
      resourceVersion: req.options.resourceVersion,
      allowWatchBookmarks: "true",
      timeoutSeconds: req.options.timeoutSeconds,
    },
  });
  if (!start.ok) {
    cb.onEnd(start.error);
    return { abort: () => undefined, skippedLines: 0 };
  }

  const { response, close } = start;
  const lines = createLineSplitter(req.maxEventBytes ?? MAX_WATCH_LINE_BYTES);
  /** Set on abort and on the end: no callback after either. */
  let done = false;
  let skippedLines = 0;

  const end = (err: K8sError | undefined): void => {
    if (done) return;
    done = true;
    close();
    cb.onEnd(err);
  };

  /** One event line → one callback. Returns false once the watch is over. */
  const onLine = (line: string): boolean => {
    let event: WatchEventLine;
    try {
      event = JSON.parse(line) as WatchEventLine;
    } catch {
      // Skipped as client-node does; counted, never kept (it may hold any object's content).
      skippedLines++;
      return true;
    }
    if (typeof event !== "object" || event === null) {
      skippedLines++;
      return true;
    }
    try {
      switch (event.type) {
        case "ADDED":
        case "MODIFIED":
        case "DELETED":
          cb.onEvent(event.type, event.object as T);
          break;
        case "BOOKMARK": {
          const rv = (event.object as { metadata?: { resourceVersion?: unknown } } | null | undefined)?.metadata?.resourceVersion;
          if (typeof rv === "string") cb.onBookmark(rv);
          break;
        }
        case "ERROR":
          end(k8sErrorFromWatchStatus(event.object, operation));
          break;
        default:
          break;
      }
    } catch {
      // As under client-node's Watch: a throwing handler does not end the shared stream.
    }
    return !done;
  };

  // Listened to at once: a failure before reading starts must not go unhandled.
  response.on("error", (err: unknown) => end(toK8sError(err, operation)));
  response.on("close", () => {
    if (!response.complete) end(new K8sError("UNAVAILABLE", `${operation}: the connection closed mid-stream`, { operation }));
  });
  // Reading starts on the next turn, once the caller holds the handle (as with client-node).
  setImmediate(() => {
    if (done) return;
    response.on("data", (chunk: Buffer) => {
      if (done) return;
      if (!lines.push(chunk, onLine)) {
        end(new K8sError("UNAVAILABLE", `${operation}: watch event too large (over ${req.maxEventBytes ?? MAX_WATCH_LINE_BYTES} bytes)`, { operation }));
      }
    });
    response.on("end", () => {
      if (done) return;
      lines.end(onLine);
      end(undefined);
    });
  });

  return {
    abort: () => {
      done = true;
      close();
    },
    get skippedLines() {
      return skippedLines;
    },
  };
}
