import { afterEach, describe, expect, it, vi } from "vitest";
import { followLog, subscribeWave, type FollowState, type WaveStreamMessage } from "./live";

/** A response whose body streams `chunks` and then ends (as a dropped or finished follow does). */
const streamed = (chunks: string[]): Response =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
        controller.close();
      },
    }),
    { status: 200, headers: { "content-type": "text/plain" } },
  );

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("followLog", () => {
  it("reconnects when the stream ends before the build, replacing the text instead of doubling it", async () => {
    let finished = false;
    const answers = [streamed(["line 1\n", "line 2\n"]), streamed(["line 1\n", "line 2\n", "line 3\n"])];
    const calls: string[] = [];
    vi.stubGlobal("fetch", (url: string) => {
      calls.push(url);
      const next = answers.shift();
      if (answers.length === 0) finished = true; // the build ends during the second follow
      return Promise.resolve(next ?? streamed([]));
    });
    const states: FollowState[] = [];
    let text = "";
    const ended = new Promise<void>((resolve) => {
      followLog("b1", (t) => (text = t), (s) => (states.push(s), s === "ended" && resolve()), () => finished, 1);
    });
    await ended;
    expect(text).toBe("line 1\nline 2\nline 3\n");
    expect(calls).toEqual(["/v1/builds/b1/logs?follow=true", "/v1/builds/b1/logs?follow=true"]);
    expect(states).toEqual(["connecting", "following", "reconnecting", "following", "ended"]);
  });

  it("retries after a refused request, once per pause, and stops for good when told to", async () => {
    vi.useFakeTimers();
    let calls = 0;
    vi.stubGlobal("fetch", () => {
      calls++;
      return Promise.resolve(new Response("{}", { status: 503 }));
    });
    const states: FollowState[] = [];
    const stop = followLog("b2", () => {}, (s) => states.push(s), () => false, 1_000);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(2);
    stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(2);
    expect(states).toEqual(["connecting", "reconnecting", "reconnecting"]);
    vi.useRealTimers();
  });
});

/** Enough of EventSource for subscribeWave: the test fires its listeners. */
class FakeEventSource {
  static CLOSED = 2;
  static made: FakeEventSource[] = [];
  readyState = 0;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  private listeners = new Map<string, ((ev: { data: string; lastEventId: string }) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.made.push(this);
  }
  addEventListener(type: string, fn: (ev: { data: string; lastEventId: string }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  emit(type: string, id: string, body: unknown): void {
    for (const fn of this.listeners.get(type) ?? []) fn({ data: JSON.stringify(body), lastEventId: id });
  }
  close(): void {
    this.closed = true;
  }
}

describe("subscribeWave", () => {
  it("follows the wave with its builds, and after a refused (re)connect tries again from the last event seen", () => {
    vi.useFakeTimers();
    FakeEventSource.made = [];
    vi.stubGlobal("EventSource", FakeEventSource);
    const got: WaveStreamMessage[] = [];
    const opens: boolean[] = [];
    const stop = subscribeWave("rw-abcdefgh", (e) => got.push(e), (again) => opens.push(again), 1_000);
    const first = FakeEventSource.made[0]!;
    expect(first.url).toBe("/v1/events?waveId=rw-abcdefgh&builds=true");
    first.onopen?.();
    first.emit("rebuild.node.queued", "1-0", { type: "rebuild.node.queued", sequence: 3, data: { node: "t/a" } });
    first.emit("build.running", "2-0", { type: "build.running", data: { buildId: "b1" } });
    // A 429: EventSource gives up by itself.
    first.readyState = FakeEventSource.CLOSED;
    first.onerror?.();
    vi.advanceTimersByTime(1_000);
    const second = FakeEventSource.made[1]!;
    expect(second.url).toBe("/v1/events?waveId=rw-abcdefgh&builds=true&since=2-0");
    second.onopen?.();
    expect(opens).toEqual([false, true]);
    expect(got.map((e) => [e.type, e.sequence])).toEqual([["rebuild.node.queued", 3], ["build.running", undefined]]);
    stop();
    expect(second.closed).toBe(true);
  });
});
