import type { RebuildEventType } from "@buildfleet/contract";
/**
 * Live updates: build events over SSE (the browser's EventSource reconnects by
 * itself and resumes with Last-Event-ID), and a log follow that reconnects.
 */

export interface BuildEventMessage {
  id: string;
  type: string;
  buildId: string;
}

/** Subscribes to /v1/events; returns the unsubscribe function. */
export function subscribeEvents(query: Record<string, string | undefined>, onEvent: (e: BuildEventMessage) => void, onState?: (open: boolean) => void): () => void {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") params.set(k, v);
  const qs = params.toString();
  const source = new EventSource(`/v1/events${qs ? `?${qs}` : ""}`);
  const handle = (ev: MessageEvent<string>): void => {
    try {
      const data = JSON.parse(ev.data) as { type?: string; subject?: string; data?: { buildId?: string } };
      // A rebuild wave's event (subject = wave id) is not a build's.
      if (data.type?.startsWith("rebuild.") === true) return;
      const buildId = data.subject ?? data.data?.buildId;
      if (typeof buildId === "string") onEvent({ id: ev.lastEventId, type: data.type ?? ev.type, buildId });
    } catch {
      // Not an event of ours: ignore.
    }
  };
  // The API names each SSE event by its CloudEvents type; listen to the message default as well.
  for (const type of ["message", "build.queued", "build.started", "build.running", "build.retrying", "build.succeeded", "build.failed", "build.cancelled"]) {
    source.addEventListener(type, handle as EventListener);
  }
  source.onopen = () => onState?.(true);
  source.onerror = () => onState?.(false);
  return () => source.close();
}

/** A wave's event or one of its builds' (GET /v1/events?waveId=…&builds=true), as the stream sent it. */
export interface WaveStreamMessage {
  type: string;
  sequence?: number;
  time?: string;
  data: Record<string, unknown>;
}

// Spelled out, not imported: the web takes only types from the contract (a value would bundle zod).
// The check below fails to compile when the contract gains a rebuild event this list lacks.
const WAVE_STREAM_TYPES = [
  "message",
  "rebuild.started",
  "rebuild.node.queued",
  "rebuild.node.succeeded",
  "rebuild.node.failed",
  "rebuild.node.skipped",
  "rebuild.succeeded",
  "rebuild.failed",
  "rebuild.cancelled",
  "build.started",
  "build.running",
] as const;
type MissingRebuildTypes = Exclude<RebuildEventType, (typeof WAVE_STREAM_TYPES)[number]>;
const everyRebuildType: [MissingRebuildTypes] extends [never] ? true : MissingRebuildTypes = true;
void everyRebuildType;

/**
 * Follows one rebuild wave: its rebuild.* events from its first, and its
 * builds' start events. EventSource reconnects by itself and resumes with
 * Last-Event-ID; `onOpen(again)` says when a (re)connection is up, so the
 * caller can read the wave again after a gap. Returns the stop function.
 */
export function subscribeWave(waveId: string, onEvent: (e: WaveStreamMessage) => void, onOpen: (again: boolean) => void, retryMs = 5_000): () => void {
  let source: EventSource | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastId = "";
  let opened = false;
  let stopped = false;
  const handle = (ev: MessageEvent<string>): void => {
    if (ev.lastEventId !== "") lastId = ev.lastEventId;
    try {
      const e = JSON.parse(ev.data) as Partial<WaveStreamMessage>;
      if (typeof e.type === "string" && typeof e.data === "object" && e.data !== null) onEvent({ type: e.type, sequence: e.sequence, time: e.time, data: e.data });
    } catch {
      // Not an event of ours: ignore.
    }
  };
  const connect = (): void => {
    const query: Record<string, string> = { waveId, builds: "true" };
    if (lastId !== "") query.since = lastId;
    const es = new EventSource(`/v1/events?${new URLSearchParams(query).toString()}`);
    source = es;
    for (const type of WAVE_STREAM_TYPES) es.addEventListener(type, handle as EventListener);
    es.onopen = () => {
      onOpen(opened);
      opened = true;
    };
    es.onerror = () => {
      // A dropped stream EventSource resumes by itself (Last-Event-ID); an answer other than 200
      // (429: too many streams) closes it for good: try again later from the last event seen.
      if (es.readyState !== EventSource.CLOSED || stopped) return;
      timer = setTimeout(connect, retryMs);
    };
  };
  connect();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    source?.close();
  };
}

export type FollowState = "connecting" | "following" | "reconnecting" | "ended";

/**
 * Follows a build's log: GET …/logs?follow=true streams lines until the build
 * ends. When the stream drops early, it reconnects after a pause and replaces
 * the text (the answer always starts from the first kept line), so nothing is
 * doubled. Returns the stop function.
 */
export function followLog(
  buildId: string,
  onText: (text: string) => void,
  onState: (state: FollowState) => void,
  isFinished: () => boolean,
  retryMs = 1_000,
): () => void {
  let stopped = false;
  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async (): Promise<void> => {
    controller = new AbortController();
    let text = "";
    try {
      const res = await fetch(`/v1/builds/${encodeURIComponent(buildId)}/logs?follow=true`, { signal: controller.signal, credentials: "same-origin" });
      if (!res.ok || !res.body) throw new Error(`log answered ${res.status}`);
      onState("following");
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
        onText(text);
      }
      onText(text);
    } catch {
      if (stopped) return;
    }
    if (stopped) return;
    if (isFinished()) {
      onState("ended");
      return;
    }
    onState("reconnecting");
    timer = setTimeout(() => void run(), retryMs);
  };
  onState("connecting");
  void run();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    controller?.abort();
  };
}
