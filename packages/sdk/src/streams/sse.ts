import { splitLines } from "./lines.js";

/**
 * A Server-Sent Events parser following the WHATWG event-stream rules:
 * comments (`:`) ignored, `data` lines joined with \n, the last event id kept
 * across events, an event without data not dispatched, `retry` reported.
 */

export interface SseMessage {
  /** The last event id seen so far in the stream (the spec's "last event ID buffer"). */
  id: string | undefined;
  /** `event:` field, "message" when absent. */
  event: string;
  data: string;
}

export type SseItem = { kind: "message"; message: SseMessage } | { kind: "retry"; ms: number };

export async function* parseSse(chunks: AsyncIterable<string>): AsyncGenerator<SseItem> {
  let lastId: string | undefined;
  let event = "";
  let data: string[] = [];
  for await (const line of splitLines(chunks)) {
    if (line === "") {
      if (data.length > 0) {
        yield { kind: "message", message: { id: lastId, event: event === "" ? "message" : event, data: data.join("\n") } };
      }
      event = "";
      data = [];
      continue;
    }
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        event = value;
        break;
      case "data":
        data.push(value);
        break;
      case "id":
        // An id with NUL is ignored by the spec (it could not be sent back in a header).
        if (!value.includes("\0")) lastId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) yield { kind: "retry", ms: Number(value) };
        break;
      default:
        break;
    }
  }
  // An unterminated event at the end of the stream is dropped, as the spec says.
}
