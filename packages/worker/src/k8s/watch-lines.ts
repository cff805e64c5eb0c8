import { StringDecoder } from "node:string_decoder";

/**
 * Part of the Kubernetes adapter: a watch stream's bytes → its lines (one JSON event each).
 *
 * Why not `readline` (what client-node's Watch uses): its `\r?\n|\r(?!\n)` regex and
 * per-line machinery showed in the worker's CPU profile during bursts. Here: a StringDecoder
 * (a UTF-8 character split across chunks is decoded whole), `indexOf("\n")`, and the partial
 * last line kept for the next chunk. Pure: no IO, no timers.
 */

export interface LineSplitter {
  /**
   * Feeds one chunk; `onLine` gets each complete line, without its "\n" (or "\r\n"), empty
   * lines skipped. Stops early when `onLine` returns false. Returns false when the pending
   * partial line grew past the bound: the stream is not usable any more.
   */
  push(chunk: Buffer, onLine: (line: string) => boolean): boolean;
  /** The stream ended: a last line without a "\n" still counts (as with readline). */
  end(onLine: (line: string) => boolean): void;
}

/** Kubernetes sends each event on its own line; a single event this large is not one we want. */
export const MAX_WATCH_LINE_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;
const CR = 0x0d;

export function createLineSplitter(maxLineBytes = MAX_WATCH_LINE_BYTES): LineSplitter {
  const decoder = new StringDecoder("utf8");
  let tail = "";
  /** Bytes of the partial line held (in `tail` and in the decoder): what the bound is on. */
  let tailBytes = 0;

  function emit(line: string, onLine: (line: string) => boolean): boolean {
    const text = line.length > 0 && line.charCodeAt(line.length - 1) === CR ? line.slice(0, -1) : line;
    return text.length === 0 || onLine(text);
  }

  return {
    push(chunk, onLine) {
      // Counted on the bytes before decoding, so an endless line is refused before it is
      // turned into an ever larger string. (A line wholly inside one chunk is not measured:
      // socket chunks are far smaller than the bound.)
      const firstNewline = chunk.indexOf(NEWLINE);
      if (firstNewline === -1) tailBytes += chunk.length;
      else if (tailBytes + firstNewline > maxLineBytes) return false;
      else tailBytes = chunk.length - chunk.lastIndexOf(NEWLINE) - 1;
      if (tailBytes > maxLineBytes) return false;
      const text = decoder.write(chunk);
      let nl = firstNewline === -1 ? -1 : text.indexOf("\n");
      if (nl === -1) {
        // No line ends here: appended only (V8 keeps the pieces as a rope, joined once when the
        // line completes). Searching `tail + text` on every chunk would copy it each time.
        tail += text;
        return true;
      }
      const first = tail + text.slice(0, nl);
      tail = "";
      if (!emit(first, onLine)) return true;
      let start = nl + 1;
      for (nl = text.indexOf("\n", start); nl !== -1; nl = text.indexOf("\n", start)) {
        const line = text.slice(start, nl);
        start = nl + 1;
        if (!emit(line, onLine)) return true;
      }
      tail = text.slice(start);
      return true;
    },
    end(onLine) {
      const rest = tail + decoder.end();
      tail = "";
      tailBytes = 0;
      if (rest.length > 0) emit(rest, onLine);
    },
  };
}
