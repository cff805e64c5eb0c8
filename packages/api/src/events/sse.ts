import type { StreamEntry } from "@buildfleet/shared";

/**
 * Server-Sent Events framing. The event id is the Redis stream id, so a
 * client's Last-Event-ID is exactly where to resume in the stream. CloudEvent
 * JSON never holds a raw newline (JSON.stringify escapes them), so `data:`
 * is always one line.
 */
export function formatSseEvent(entry: StreamEntry): string {
  return `id: ${entry.id}\nevent: ${entry.event.type}\ndata: ${JSON.stringify(entry.event)}\n\n`;
}

export const SSE_KEEP_ALIVE = ": keep-alive\n\n";

/** A Redis stream id (`<ms>-<seq>`); anything else in Last-Event-ID / since is refused. */
export { isStreamId } from "./stream-id.js";
