import { describe, expect, it } from "vitest";
import { createLineSplitter } from "./watch-lines.js";

/** Feeds `chunks` and returns every line produced, the end of the stream included. */
function split(chunks: Buffer[], maxLineBytes?: number): { lines: string[]; refused: boolean } {
  const splitter = createLineSplitter(maxLineBytes);
  const lines: string[] = [];
  const onLine = (line: string): boolean => {
    lines.push(line);
    return true;
  };
  for (const chunk of chunks) if (!splitter.push(chunk, onLine)) return { lines, refused: true };
  splitter.end(onLine);
  return { lines, refused: false };
}

const bytesOf = (buf: Buffer): Buffer[] => Array.from(buf, (b) => Buffer.from([b]));

describe("createLineSplitter", () => {
  const events = [
    JSON.stringify({ type: "ADDED", object: { metadata: { name: "café-✓-😀", resourceVersion: "1" } } }),
    JSON.stringify({ type: "BOOKMARK", object: { metadata: { resourceVersion: "2" } } }),
  ];
  const stream = Buffer.from(events.map((e) => `${e}\n`).join(""));

  it("gives the same lines fed byte by byte as in one chunk, multi-byte characters included", () => {
    expect(split([stream]).lines).toEqual(events);
    expect(split(bytesOf(stream)).lines).toEqual(events);
  });

  it("decodes a multi-byte character split at any point between two chunks", () => {
    const text = Buffer.from(`${events[0] ?? ""}\n`);
    for (let at = 1; at < text.length; at++) {
      expect(split([text.subarray(0, at), text.subarray(at)]).lines).toEqual([events[0]]);
    }
  });

  it("drops the \\r of \\r\\n endings and skips empty lines", () => {
    expect(split([Buffer.from("a\r\n\r\n\nb\r"), Buffer.from("\nc\n")]).lines).toEqual(["a", "b", "c"]);
  });

  it("still gives a last line without its newline when the stream ends", () => {
    expect(split([Buffer.from("a\nb")]).lines).toEqual(["a", "b"]);
  });

  it("refuses a line growing past the bound, counted in bytes across chunks", () => {
    // 5 UTF-16 units, 10 bytes: the bound is on bytes.
    const wide = Buffer.from("😀😀é");
    expect(wide.length).toBe(10);
    expect(split([Buffer.from("ok\n"), wide, Buffer.from("\n")], 10)).toEqual({ lines: ["ok", "😀😀é"], refused: false });
    expect(split([Buffer.from("ok\n"), wide, Buffer.from("x\n")], 10)).toEqual({ lines: ["ok"], refused: true });
    expect(split([...bytesOf(Buffer.from("0123456789")), Buffer.from("\n0123456789\n")], 10).refused).toBe(false);
  });

  it("stops in the middle of a chunk when told to", () => {
    const splitter = createLineSplitter();
    const lines: string[] = [];
    splitter.push(Buffer.from("a\nb\nc\n"), (line) => {
      lines.push(line);
      return line !== "b";
    });
    expect(lines).toEqual(["a", "b"]);
  });
});
