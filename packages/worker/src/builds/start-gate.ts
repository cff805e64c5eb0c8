/**
 * At most `size` builds at once between rendering their Job and the API server's answer to
 * its create; the rest wait their turn, first come first served, holding only what runBuild
 * already had (the queue entry and the record).
 *
 * Why: a burst of dispatches (10,000 builds taken from the queue within seconds) otherwise
 * renders every Job at once and hands every create to the HTTP agent, which queues all but
 * `maxSockets` of them — each with its rendered Job, its JSON body and a ClientRequest
 * (≈ 9 KiB a build in heap snapshots), and each with its request deadline already running
 * while it waits for a connection, so the tail of a burst timed out and used an attempt.
 * Sized like the agent's connections, the gate costs no throughput: the agent would not send
 * more creates at once anyway.
 */
export class StartGate {
  private active = 0;
  /** FIFO of waiters; `head` is the next one (no Array#shift per hand-over in a 10,000 queue). */
  private waiting: (() => void)[] = [];
  private head = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`StartGate: size must be a positive integer, got ${size}`);
  }

  /** Resolves with the release function once a slot is free. Call release exactly once (extra calls are ignored). */
  acquire(): Promise<() => void> {
    if (this.active < this.size) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => this.waiting.push(() => resolve(this.releaser())));
  }

  /** Builds holding a slot now, and builds waiting for one: read at scrape time by the worker's metrics, and by tests. */
  stats(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length - this.head };
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.handOver();
    };
  }

  /** A released slot goes straight to the next waiter (active stays the same), or is freed. */
  private handOver(): void {
    const next = this.waiting[this.head];
    if (next === undefined) {
      this.active--;
      return;
    }
    this.waiting[this.head++] = undefined as unknown as () => void;
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    next();
  }
}
