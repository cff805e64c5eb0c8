import { expired, type StatusError } from "./errors.js";
import type { StoreEvent } from "./types.js";

/**
 * Bounded ring of recent store events, so a watch can resume from a
 * resourceVersion, and a resourceVersion older than what is kept is detected
 * and answered with 410 Expired like a compacted etcd.
 */
export class EventHistory {
  private readonly ring: (StoreEvent | undefined)[];
  private start = 0;
  private size = 0;
  /** Highest resourceVersion whose event is no longer available. */
  private compactedThrough = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`historySize must be a positive integer, got ${capacity}`);
    this.ring = new Array<StoreEvent | undefined>(capacity);
  }

  push(event: StoreEvent): void {
    if (this.size === this.capacity) {
      const evicted = this.ring[this.start];
      if (evicted) this.compactedThrough = evicted.resourceVersion;
      this.ring[this.start] = event;
      this.start = (this.start + 1) % this.capacity;
    } else {
      this.ring[(this.start + this.size) % this.capacity] = event;
      this.size += 1;
    }
  }

  /** Forget everything up to `rv` (a restart that lost state). */
  compact(rv: number): void {
    this.ring.fill(undefined);
    this.start = 0;
    this.size = 0;
    this.compactedThrough = Math.max(this.compactedThrough, rv);
  }

  /** Oldest resourceVersion a watch may still start from. */
  oldest(): number {
    return this.compactedThrough;
  }

  /** Events with resourceVersion > rv, or the 410 Expired error when some were compacted away. */
  since(rv: number): StoreEvent[] | StatusError {
    if (rv < this.compactedThrough) return expired(rv, this.compactedThrough + 1);
    const out: StoreEvent[] = [];
    // Binary search for the first event after rv; events are in rv order.
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const ev = this.ring[(this.start + mid) % this.capacity];
      if (ev !== undefined && ev.resourceVersion <= rv) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.size; i += 1) {
      const ev = this.ring[(this.start + i) % this.capacity];
      if (ev) out.push(ev);
    }
    return out;
  }
}
