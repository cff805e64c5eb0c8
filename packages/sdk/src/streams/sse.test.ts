import { describe, expect, it } from "vitest";
import { parseSse, type SseItem } from "./sse.js";

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  for (const p of parts) yield p;
}

async function collect(...parts: string[]): Promise<SseItem[]> {
  const out: SseItem[] = [];
  for await (const item of parseSse(chunks(...parts))) out.push(item);
  return out;
}

describe("parseSse", () => {
  it("parses id, event and data and skips comments", async () => {
    const items = await collect(": keep-alive\n\n", "id: 1-0\nevent: build.queued\ndata: {\"a\":1}\n\n");
    expect(items).toEqual([{ kind: "message", message: { id: "1-0", event: "build.queued", data: '{"a":1}' } }]);
  });

  it("joins data lines and handles events split across chunks and CRLF", async () => {
    const items = await collect("id: 7\r", "\ndata: one\r\nda", "ta: two\r\n\r\n");
    expect(items).toEqual([{ kind: "message", message: { id: "7", event: "message", data: "one\ntwo" } }]);
  });

  it("keeps the last id for later events and drops an unterminated last event", async () => {
    const items = await collect("id: 5\ndata: a\n\ndata: b\n\ndata: cut");
    expect(items.map((i) => (i.kind === "message" ? [i.message.id, i.message.data] : null))).toEqual([
      ["5", "a"],
      ["5", "b"],
    ]);
  });

  it("reports retry and ignores events without data", async () => {
    const items = await collect("retry: 1500\n\nevent: x\n\n");
    expect(items).toEqual([{ kind: "retry", ms: 1500 }]);
  });
});
