import { ApiError, ConnectionError } from "../client/errors.js";
import type { Http } from "../client/http.js";
import type { StreamedEvent } from "../client/types.js";
import { abortableDelay } from "./delay.js";
import { textChunks } from "./lines.js";
import { parseSse } from "./sse.js";

export interface EventsOptions {
  /** Only this build's events. */
  buildId?: string;
  /** Only this rebuild wave's rebuild.* events (from its first, without `since`). */
  waveId?: string;
  /**
   * Start after this stream id. Without it: with `buildId`, the build's
   * events from its first, ending after its terminal event (unless `follow`);
   * without `buildId`, only new events.
   */
  since?: string;
  /**
   * With `buildId`: only new events, and keep following after the build
   * finished (until `signal`), as without `buildId`.
   */
  follow?: boolean;
  signal?: AbortSignal;
  /** Failed (re)connects in a row before giving up (default 5). */
  maxRetries?: number;
  /** First reconnect delay; doubles per failure up to 10 s (default 250 ms, or the server's `retry:`). */
  retryDelayMs?: number;
}

const MAX_DELAY_MS = 10_000;

/**
 * Follows `GET /v1/events`, reconnecting with `Last-Event-ID` after a dropped
 * connection. Client errors (401, 403, 404, 400) are not retried: they will
 * not get better. The iterator ends only when `signal` is aborted.
 */
export async function* streamEvents(http: Http, options: EventsOptions): AsyncGenerator<StreamedEvent> {
  const maxRetries = options.maxRetries ?? 5;
  let baseDelay = options.retryDelayMs ?? 250;
  let lastId = options.since;
  let failures = 0;
  const query = new URLSearchParams();
  if (options.buildId !== undefined) query.set("buildId", options.buildId);
  if (options.waveId !== undefined) query.set("waveId", options.waveId);
  for (;;) {
    if (options.signal?.aborted) return;
    let lastError: unknown;
    try {
      const headers: Record<string, string> = { accept: "text/event-stream" };
      if (lastId !== undefined) headers["last-event-id"] = lastId;
      const res = await http.call("/v1/events", { query, headers, signal: options.signal, stream: true });
      if (res.body) {
        for await (const item of parseSse(textChunks(res.body))) {
          if (item.kind === "retry") {
            baseDelay = item.ms;
            continue;
          }
          const { message } = item;
          if (message.id === undefined) continue;
          let event: StreamedEvent["event"];
          try {
            event = JSON.parse(message.data) as StreamedEvent["event"];
          } catch {
            continue; // Not ours to interpret; skip rather than kill the stream.
          }
          lastId = message.id;
          failures = 0;
          yield { id: message.id, type: message.event, event };
        }
      }
      lastError = new ConnectionError("the event stream ended");
    } catch (err) {
      if (options.signal?.aborted) return;
      if (err instanceof ApiError && err.status < 500 && err.status !== 429) throw err;
      lastError = err;
    }
    if (options.signal?.aborted) return;
    failures++;
    if (failures > maxRetries) {
      throw new ConnectionError(`the event stream failed ${failures} times in a row; giving up`, { cause: lastError });
    }
    const delay = Math.min(MAX_DELAY_MS, baseDelay * 2 ** (failures - 1));
    try {
      // Jitter spreads the reconnects of many clients after a server restart.
      await abortableDelay(delay / 2 + Math.random() * (delay / 2), options.signal);
    } catch {
      return;
    }
  }
}
