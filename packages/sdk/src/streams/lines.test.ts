import { describe, expect, it } from "vitest";
import { splitLines, textChunks } from "./lines.js";

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  for (const p of parts) yield p;
}

describe("splitLines", () => {
  it("splits on LF, CRLF and CR across chunk boundaries", async () => {
    expect(await collect(splitLines(chunks("a\nb\r", "\nc\rd", "\n", "tail")))).toEqual(["a", "b", "c", "d", "tail"]);
  });

  it("keeps empty lines", async () => {
    expect(await collect(splitLines(chunks("\n\nx\n")))).toEqual(["", "", "x"]);
  });
});

describe("textChunks", () => {
  it("decodes a multi-byte character split between chunks", async () => {
    const bytes = new TextEncoder().encode("größe\n");
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 3));
        controller.enqueue(bytes.slice(3));
        controller.close();
      },
    });
    expect((await collect(textChunks(body))).join("")).toBe("größe\n");
  });
});
