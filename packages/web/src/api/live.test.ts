import { afterEach, describe, expect, it, vi } from "vitest";
import { followLog, type FollowState } from "./live";

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
