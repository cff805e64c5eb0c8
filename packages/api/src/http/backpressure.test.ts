import { getEventListeners } from "node:events";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { drained } from "./backpressure.js";

/** A real stream that accepts one byte per tick: every write past the first needs a drain. */
function slowSink(): Writable {
  return new Writable({ highWaterMark: 1, write: (_chunk, _enc, done) => setImmediate(done) });
}

const counts = (w: Writable) => ({ drain: w.listenerCount("drain"), close: w.listenerCount("close"), error: w.listenerCount("error") });

describe("drained", () => {
  it("leaves no listener on the stream or the signal after a thousand backpressure waits", async () => {
    const out = slowSink();
    const stop = new AbortController();
    const before = counts(out);
    for (let i = 0; i < 1_000; i++) if (!out.write("x")) await drained(out, stop.signal);
    expect(counts(out)).toEqual(before);
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
  });

  it("resolves when the stream closes or the signal aborts instead of draining", async () => {
    const closing = slowSink();
    closing.write("xx");
    const waitClose = drained(closing);
    closing.destroy();
    await waitClose;
    expect(counts(closing)).toMatchObject({ drain: 0 });

    const stuck = new Writable({ highWaterMark: 1, write: () => undefined });
    stuck.write("xx");
    const stop = new AbortController();
    const waitAbort = drained(stuck, stop.signal);
    stop.abort();
    await waitAbort;
    expect(await drained(stuck, stop.signal)).toBeUndefined();
  });
});
