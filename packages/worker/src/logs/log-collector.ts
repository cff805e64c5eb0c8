import { Writable } from "node:stream";
import { appendBuildLog, type Keyspace, type Logger, type Redis, type TimedLogLine } from "@buildfleet/shared";
import type { K8sApi, LogStreamHandle } from "../k8s/client.js";
import { KANIKO_CONTAINER_NAME } from "../kaniko/labels.js";
import type { BuildObservation } from "../tracking/derive-status.js";

/**
 * Streams each attempt's Kaniko log into the build's capped log in Redis, for
 * the API to serve. One follow stream per running pod (no polling). Log
 * streams close early sometimes (client-node's follow does): the collector
 * reconnects with backoff while the pod is still running, re-reads from the
 * start and skips the lines it already stored. Logs never decide the outcome.
 */

export interface LogCollectorOptions {
  k8s: Pick<K8sApi, "streamPodLog">;
  redis: Redis;
  keyspace: Keyspace;
  logger: Logger;
  maxLines?: number;
  maxReconnects?: number;
  reconnectDelayMs?: number;
  observer?: LogObserver;
}

/** Told how log capture goes (metrics); must not throw. */
export interface LogObserver {
  /** `lines` were stored `lagSeconds` after their chunk arrived from the API server. */
  stored(lines: number, lagSeconds: number): void;
  /** A log stream ended early and is being reopened. */
  reconnect(): void;
}

interface PodStream {
  buildId: string;
  attempt: number;
  podName: string;
  /** Lines already stored for this attempt (skipped after a reconnect). */
  stored: number;
  handle: LogStreamHandle | undefined;
  reconnects: number;
  finished: boolean;
  released: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** The kubelet's `timestamps=true` prefix: an RFC 3339 time (nanoseconds, Z) and one space. */
const KUBELET_TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ?/;

/**
 * A log line as stored: the kubelet's time split off (kept for `logs --since/--timestamps`).
 * A line cannot have been written after it arrived here: a later kubelet time (a node clock
 * ahead, or kubesim's sped-up clock) is clamped to the arrival, so log times stay on the
 * same clock as the build record's. Without the prefix (an API server that ignored
 * `timestamps`) the line is stamped with its arrival.
 */
export function timedLine(raw: string, receivedAt: Date = new Date()): TimedLogLine {
  const m = KUBELET_TIME.exec(raw);
  const written = m === null ? Number.NaN : Date.parse(m[1] ?? "");
  if (m === null || Number.isNaN(written)) return { line: raw, time: receivedAt.toISOString() };
  return { line: raw.slice(m[0].length), time: written > receivedAt.getTime() ? receivedAt.toISOString() : (m[1] ?? "") };
}

export class LogCollector {
  private readonly streams = new Map<string, PodStream>();
  private stopped = false;

  constructor(private readonly options: LogCollectorOptions) {}

  /** Called with every observation of a build: starts streams for attempts that have a started pod. */
  observe(buildId: string, obs: BuildObservation): void {
    if (this.stopped) return;
    for (const attempt of obs.attempts) {
      const started = attempt.startedAt !== undefined || attempt.podPhase === "Running" || attempt.finishedAt !== undefined;
      if (!started || attempt.disrupted && attempt.startedAt === undefined) continue;
      const existing = this.streams.get(attempt.podName);
      if (existing) {
        existing.finished = attempt.finishedAt !== undefined;
        continue;
      }
      const stream: PodStream = {
        buildId,
        attempt: attempt.index,
        podName: attempt.podName,
        stored: 0,
        handle: undefined,
        reconnects: 0,
        finished: attempt.finishedAt !== undefined,
        released: false,
        timer: undefined,
      };
      this.streams.set(attempt.podName, stream);
      void this.open(stream);
    }
  }

  /** The build is over: its streams end with their pods and are then forgotten. */
  release(buildId: string): void {
    for (const [podName, stream] of this.streams) {
      if (stream.buildId !== buildId) continue;
      stream.finished = true;
      stream.released = true;
      if (stream.timer) clearTimeout(stream.timer);
      if (!stream.handle) this.streams.delete(podName);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const stream of this.streams.values()) {
      if (stream.timer) clearTimeout(stream.timer);
      stream.handle?.abort();
    }
    this.streams.clear();
  }

  private async open(stream: PodStream): Promise<void> {
    const { k8s, redis, keyspace, logger } = this.options;
    let skip = stream.stored;
    let partial = "";
    let writes: Promise<void> = Promise.resolve();
    const flush = (raw: string[]): void => {
      if (raw.length === 0) return;
      const arrived = new Date();
      const lines = raw.map((l) => timedLine(l, arrived));
      stream.stored += lines.length;
      const receivedAt = performance.now();
      writes = writes
        .then(() => appendBuildLog(redis, keyspace, stream.buildId, stream.attempt, lines, this.options.maxLines))
        .then(() => this.options.observer?.stored(lines.length, (performance.now() - receivedAt) / 1000))
        .catch((err: unknown) =>
          logger.warn({ buildId: stream.buildId, err: { message: (err as Error).message } }, "could not store log lines"),
        );
    };
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        const text = partial + chunk.toString("utf8");
        const parts = text.split("\n");
        partial = parts.pop() ?? "";
        const fresh = parts.slice(Math.min(skip, parts.length));
        skip = Math.max(0, skip - parts.length);
        flush(fresh);
        done();
      },
      final(done) {
        if (partial !== "" && skip === 0) flush([partial]);
        partial = "";
        done();
      },
    });
    try {
      stream.handle = await k8s.streamPodLog(stream.podName, KANIKO_CONTAINER_NAME, { follow: true, timestamps: true }, sink);
      await stream.handle.done;
    } catch (err) {
      logger.debug({ buildId: stream.buildId, podName: stream.podName, err: { message: (err as Error).message } }, "log stream failed");
    }
    await writes;
    this.afterEnd(stream);
  }

  private afterEnd(stream: PodStream): void {
    if (this.stopped) return;
    const maxReconnects = this.options.maxReconnects ?? 5;
    if (stream.finished || stream.reconnects >= maxReconnects) {
      // Keep the entry until the build is released, so the pod is not streamed again.
      stream.handle = undefined;
      if (stream.released) this.streams.delete(stream.podName);
      return;
    }
    stream.reconnects += 1;
    this.options.observer?.reconnect();
    const delay = (this.options.reconnectDelayMs ?? 1_000) * 2 ** (stream.reconnects - 1);
    stream.timer = setTimeout(() => {
      stream.timer = undefined;
      void this.open(stream);
    }, delay);
    stream.timer.unref();
  }
}
