/**
 * What to do after one delivery attempt. Pure: the dispatcher passes the outcome,
 * the attempt number and a random source.
 *
 * Retried: connection errors and timeouts (the receiver may be restarting), 5xx,
 * 408 and 429. Not retried: any other 4xx — the receiver refused this event and
 * would refuse it again (a wrong secret, a removed endpoint); it is dead-lettered
 * at once and can be redelivered after the receiver is fixed. 3xx counts as a
 * refusal too: redirects are not followed (they could lead to an internal address).
 */

export type AttemptOutcome =
  | { kind: "response"; status: number; retryAfter?: string | undefined }
  | { kind: "error"; message: string }
  | { kind: "refused"; message: string };

export type Decision = { action: "delivered" } | { action: "retry"; delayMs: number } | { action: "dead"; why: string };

export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with jitter: base·2^(n-1), capped, then scaled into
 * [50 %, 100 %] so receivers recovering from an outage are not hit in lockstep.
 * With the defaults (10 s base, 4 h cap, 19 attempts) the last attempt comes 17 to 34 hours after the first, about a day on average.
 */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(exp * (0.5 + 0.5 * random()));
}

/** Retry-After as milliseconds from `nowMs` (delta-seconds or an HTTP date), or undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** The decision after attempt number `attempt` (1 for the first) ended with `outcome`. */
export function decide(outcome: AttemptOutcome, attempt: number, policy: RetryPolicy, nowMs: number, random: () => number = Math.random): Decision {
  if (outcome.kind === "refused") return { action: "dead", why: outcome.message };
  if (outcome.kind === "response" && outcome.status >= 200 && outcome.status < 300) return { action: "delivered" };
  if (outcome.kind === "response" && !isRetryableStatus(outcome.status)) {
    return { action: "dead", why: `the receiver answered ${outcome.status}, which is not retried` };
  }
  if (attempt >= policy.maxAttempts) {
    const last = outcome.kind === "response" ? `status ${outcome.status}` : outcome.message;
    return { action: "dead", why: `gave up after ${attempt} attempts (last: ${last})` };
  }
  const computed = backoffMs(attempt, policy, random);
  // Retry-After is honoured when it asks for longer than our own backoff, within a day.
  const asked = outcome.kind === "response" ? retryAfterMs(outcome.retryAfter, nowMs) : undefined;
  const delayMs = asked === undefined ? computed : Math.min(Math.max(asked, computed), 24 * 3_600_000);
  return { action: "retry", delayMs };
}
