import type { Http } from "../client/http.js";
import type { BuildView, StreamedEvent } from "../client/types.js";
import { streamEvents, type EventsOptions } from "./events.js";

/** The API's answer header on GET /v1/builds/:id: where to follow the events stream from. */
export const EVENTS_AFTER_HEADER = "buildfleet-events-after";

const TERMINAL_EVENTS: ReadonlySet<string> = new Set(["build.succeeded", "build.failed", "build.cancelled"]);

export const isTerminalEvent = (type: string): boolean => TERMINAL_EVENTS.has(type);

/**
 * One build's events from its first: the history the API keeps with the
 * build, then the live stream from the point the history was read, each event
 * once (by its per-build sequence), ending after the terminal event. A
 * replayed event carries the stream id the live part starts after, so
 * resuming from any replayed event misses nothing.
 */
export async function* replayBuildEvents(http: Http, buildId: string, options: EventsOptions): AsyncGenerator<StreamedEvent> {
  const res = await http.call(`/v1/builds/${encodeURIComponent(buildId)}`, { signal: options.signal, repeatable: true });
  const after = res.headers.get(EVENTS_AFTER_HEADER) ?? undefined;
  const view = JSON.parse(await res.text()) as BuildView;
  let lastSequence = 0;
  const seqOf = (e: StreamedEvent["event"]): number => (typeof (e as { sequence?: unknown }).sequence === "number" ? (e as { sequence: number }).sequence : 0);
  for (const event of view.events) {
    lastSequence = Math.max(lastSequence, seqOf(event));
    yield { id: after ?? "", type: event.type, event };
    if (isTerminalEvent(event.type)) return;
  }
  // An API without the header: follow from now (events between the read and now may be missed).
  for await (const e of streamEvents(http, { ...options, buildId, ...(after !== undefined ? { since: after } : {}) })) {
    const seq = seqOf(e.event);
    if (seq !== 0 && seq <= lastSequence) continue;
    lastSequence = Math.max(lastSequence, seq);
    yield e;
    if (isTerminalEvent(e.type)) return;
  }
}
