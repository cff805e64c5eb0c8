import type { Logger, Redis, StreamEntry } from "@buildfleet/shared";
import { EventStream, type Keyspace } from "@buildfleet/shared";
import { compareStreamIds } from "./stream-id.js";

/**
 * One blocking reader of the events stream per API process, fanning entries
 * out to every SSE subscriber. A blocking XREAD needs a connection of its own,
 * so one reader per CLIENT would let one tenant exhaust Redis' client limit
 * for the whole fleet; here the number of Redis connections does not grow
 * with the number of streams.
 *
 * Each subscriber resumes from its own id: it is registered first (live
 * entries queue up from then on), then catches up with non-blocking range
 * reads on the shared connection until it reaches the end of the stream, then
 * takes its queue, skipping what catch-up already delivered. Nothing between
 * the resume id and the live position is lost or sent twice. Catch-up and the
 * queue are bounded: a subscriber that is too far behind, or reads too slowly,
 * is ended, and its client resumes from its Last-Event-ID on reconnect.
 */

export interface FanoutTuning {
  /** How long one blocking read waits before it is re-issued. */
  blockMs: number;
  /** Entries one subscription reads while catching up before it is ended (the client resumes). */
  catchUpMax: number;
  /** Live entries a slow subscriber may have waiting before it is ended (the client resumes). */
  queueMax: number;
}

export const DEFAULT_FANOUT_TUNING: FanoutTuning = { blockMs: 5_000, catchUpMax: 10_000, queueMax: 10_000 };

export type EndReason = "closed" | "catch-up-limit" | "too-slow" | "error";

export interface Subscription {
  /** Resolves when the subscription ends, saying why. */
  readonly ended: Promise<EndReason>;
  /** Ends the subscription (idempotent). */
  close(): void;
}

interface Subscriber {
  position: string;
  queue: StreamEntry[];
  wake: (() => void) | undefined;
  end: (reason: EndReason) => void;
  closed: boolean;
}

const PAGE = 100;
/** After a failed read (Redis down), wait before the next; bounded so streams resume soon after Redis does. */
const RETRY_MS = 1_000;

export class EventFanout {
  private readonly subscribers = new Set<Subscriber>();
  private readonly shared: EventStream;
  private reader: { conn: Redis; stream: EventStream } | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: {
      /** Shared (non-blocking) connection: catch-up range reads and the initial position. */
      redis: Redis;
      ks: Keyspace;
      /** Opens the one dedicated connection of the blocking reader (called once, on the first subscriber). */
      openConnection: () => Redis;
      logger: Logger;
      tuning: FanoutTuning;
    },
  ) {
    this.shared = new EventStream(deps.redis, deps.ks);
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** The id of the last entry in the stream now ("0-0" when empty): "only events from now on". */
  async currentId(): Promise<string> {
    return (await this.deps.redis.xrevrange(this.deps.ks.events, "+", "-", "COUNT", 1))[0]?.[0] ?? "0-0";
  }

  /**
   * Delivers every entry after `afterId`, in order, to `deliver` (awaited: a
   * subscriber's backpressure holds only that subscriber).
   */
  subscribe(afterId: string, deliver: (entry: StreamEntry) => Promise<void>): Subscription {
    let resolveEnded!: (reason: EndReason) => void;
    const ended = new Promise<EndReason>((resolve) => (resolveEnded = resolve));
    const sub: Subscriber = {
      position: afterId,
      queue: [],
      wake: undefined,
      closed: false,
      end: (reason) => {
        if (sub.closed) return;
        sub.closed = true;
        this.subscribers.delete(sub);
        sub.queue.length = 0;
        sub.wake?.();
        resolveEnded(reason);
      },
    };
    if (this.stopped) {
      sub.end("closed");
      return { ended, close: () => undefined };
    }
    // Registered before catch-up starts: every entry the reader dispatches from now on is queued.
    this.subscribers.add(sub);
    this.ensureReader();
    void this.pump(sub, deliver).then(
      () => sub.end("closed"),
      (err: unknown) => {
        if (!sub.closed) this.deps.logger.warn({ err }, "event subscriber ended by an error");
        sub.end("error");
      },
    );
    return { ended, close: () => sub.end("closed") };
  }

  /** Stops the reader and ends every subscription; idempotent. */
  async close(): Promise<void> {
    this.stopped = true;
    for (const sub of [...this.subscribers]) sub.end("closed");
    // Rejects a pending blocking read, which ends the loop.
    this.reader?.conn.disconnect();
    await this.loop;
  }

  private async pump(sub: Subscriber, deliver: (entry: StreamEntry) => Promise<void>): Promise<void> {
    let read = 0;
    for (;;) {
      if (read >= this.deps.tuning.catchUpMax) {
        sub.end("catch-up-limit");
        return;
      }
      const want = Math.min(PAGE, this.deps.tuning.catchUpMax - read);
      const page = await this.shared.after(sub.position, want);
      for (const entry of page) {
        if (sub.closed) return;
        await deliver(entry);
        sub.position = entry.id;
      }
      read += page.length;
      // A short page is the end of the stream: from here on the queue has everything.
      if (page.length < want) break;
    }
    while (!sub.closed) {
      const entry = sub.queue.shift();
      if (entry === undefined) {
        await new Promise<void>((resolve) => (sub.wake = resolve));
        sub.wake = undefined;
        continue;
      }
      // Catch-up may already have delivered it.
      if (compareStreamIds(entry.id, sub.position) <= 0) continue;
      await deliver(entry);
      sub.position = entry.id;
    }
  }

  private ensureReader(): void {
    if (this.loop !== undefined || this.stopped) return;
    const conn = this.deps.openConnection();
    this.reader = { conn, stream: new EventStream(conn, this.deps.ks) };
    this.loop = this.run(this.reader.stream).catch((err: unknown) => {
      if (!this.stopped) this.deps.logger.error({ err }, "event reader stopped");
    });
  }

  private async run(stream: EventStream): Promise<void> {
    let cursor: string | undefined;
    while (!this.stopped) {
      try {
        cursor ??= await this.currentId();
        const entries = await stream.follow(cursor, { count: PAGE, blockMs: this.deps.tuning.blockMs });
        for (const entry of entries) {
          cursor = entry.id;
          this.dispatch(entry);
        }
      } catch (err) {
        if (this.stopped) return;
        this.deps.logger.warn({ err }, "reading the events stream failed; retrying");
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  private dispatch(entry: StreamEntry): void {
    for (const sub of this.subscribers) {
      if (sub.queue.length >= this.deps.tuning.queueMax) {
        sub.end("too-slow");
        continue;
      }
      sub.queue.push(entry);
      sub.wake?.();
    }
  }
}
