// Fault injection: per-verb error rate / next-N failures / latency, 429 with
// Retry-After, forced 410 on the next N watches. Randomness comes from a
// seeded PRNG so a test with a given seed sees the same failures every run.
import { z } from "zod";
import { forbidden, statusForCode, tooManyRequests, type StatusError } from "../store/errors.js";

export const VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"] as const;
export type Verb = (typeof VERBS)[number];

export const VerbFault = z.strictObject({
  /** Probability in [0, 1] that a request fails. */
  errorRate: z.number().min(0).max(1).optional(),
  /** The next N requests fail, before errorRate applies. */
  failNext: z.number().int().min(0).optional(),
  /** HTTP status of injected failures; default 500 InternalError. 429 adds Retry-After. */
  code: z.number().int().min(400).max(599).optional(),
  retryAfterSeconds: z.number().int().min(0).optional(),
  /** Added to every matching request, in real milliseconds. */
  latencyMs: z.number().min(0).max(60_000).optional(),
  /** Only these resources (plural names); all when absent. */
  resources: z.array(z.string()).optional(),
});
export type VerbFault = z.infer<typeof VerbFault>;

export const FaultConfig = z.strictObject({
  seed: z.number().int().optional(),
  verbs: z.partialRecord(z.enum([...VERBS, "*"]), VerbFault).optional(),
});
export type FaultConfig = z.infer<typeof FaultConfig>;

export interface FaultDecision {
  delayMs: number;
  error?: StatusError;
}

/** mulberry32: tiny, good enough for fault dice, deterministic per seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private config: FaultConfig = {};
  private remaining = new Map<string, number>();
  private random: () => number = seededRandom(1);
  private expireNext = 0;

  /** Replaces the fault configuration (validated: it comes from untrusted JSON). */
  set(input: unknown): FaultConfig {
    const config = FaultConfig.parse(input);
    this.config = config;
    this.random = seededRandom(config.seed ?? 1);
    this.remaining = new Map(
      Object.entries(config.verbs ?? {}).map(([verb, f]) => [verb, f?.failNext ?? 0]),
    );
    return config;
  }

  clear(): void {
    this.set({});
    this.expireNext = 0;
  }

  get(): FaultConfig & { expireNextWatches: number; failNextRemaining: Record<string, number> } {
    return { ...this.config, expireNextWatches: this.expireNext, failNextRemaining: Object.fromEntries(this.remaining) };
  }

  /** The next `count` watches get one ERROR 410 Expired event and are closed. */
  expireNextWatches(count: number): void {
    this.expireNext += count;
  }

  takeWatchExpiry(): boolean {
    if (this.expireNext <= 0) return false;
    this.expireNext -= 1;
    return true;
  }

  /** `namespace` only shapes a 403's message (RBAC names it, as the real server does). */
  decide(verb: Verb, resource: string, namespace?: string): FaultDecision {
    let delayMs = 0;
    let error: StatusError | undefined;
    for (const key of [verb, "*"] as const) {
      const fault = this.config.verbs?.[key];
      if (!fault || (fault.resources && !fault.resources.includes(resource))) continue;
      delayMs = Math.max(delayMs, fault.latencyMs ?? 0);
      if (error) continue;
      const left = this.remaining.get(key) ?? 0;
      let fail = false;
      if (left > 0) {
        this.remaining.set(key, left - 1);
        fail = true;
      } else if (fault.errorRate !== undefined && fault.errorRate > 0) {
        fail = this.random() < fault.errorRate;
      }
      if (fail) {
        const code = fault.code ?? 500;
        error =
          code === 429
            ? tooManyRequests(fault.retryAfterSeconds ?? 1)
            : code === 403
              ? forbidden(verb, resource, namespace)
              : statusForCode(code);
      }
    }
    return error ? { delayMs, error } : { delayMs };
  }
}
