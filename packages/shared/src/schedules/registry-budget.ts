import { createHash } from "node:crypto";

/**
 * Registry manners for many schedules due at once: HEAD checks per registry
 * host are spaced to a configured budget (requests per second), and each
 * schedule's firings are offset by a stable per-name spread, so 1,000
 * schedules at :00 do not reach one registry in the same second.
 */

export interface RegistryBudgetOptions {
  /** HEAD requests per second per registry host. */
  perSecond: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class RegistryBudget {
  private readonly nextFree = new Map<string, number>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly gapMs: number;

  constructor(options: RegistryBudgetOptions) {
    if (!(options.perSecond > 0)) throw new RangeError(`perSecond must be > 0, got ${options.perSecond}`);
    this.gapMs = 1000 / options.perSecond;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  }

  /** Waits for this host's next slot (reserved at once, so concurrent callers queue up in order). */
  async take(host: string): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextFree.get(host) ?? 0);
    this.nextFree.set(host, slot + this.gapMs);
    if (slot > now) await this.sleep(slot - now);
  }
}

/** A stable offset in [0, maxMs) for one schedule: the same on every replica, different across names. */
export function spreadMs(key: string, maxMs: number): number {
  if (maxMs <= 0) return 0;
  return createHash("sha256").update(key).digest().readUInt32BE(0) % maxMs;
}
