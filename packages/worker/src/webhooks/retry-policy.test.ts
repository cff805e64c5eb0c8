import { describe, expect, it } from "vitest";
import { backoffMs, decide, retryAfterMs } from "./retry-policy.js";

const POLICY = { maxAttempts: 19, baseMs: 10_000, maxMs: 4 * 3_600_000 };
const NOW = Date.parse("2026-12-02T12:00:00Z");

describe("decide", () => {
  it("retries connection errors, timeouts, 5xx, 408 and 429", () => {
    for (const outcome of [
      { kind: "error", message: "connection failed: ECONNREFUSED" },
      { kind: "response", status: 500 },
      { kind: "response", status: 503 },
      { kind: "response", status: 408 },
      { kind: "response", status: 429 },
    ] as const) {
      expect(decide(outcome, 1, POLICY, NOW, () => 1).action, JSON.stringify(outcome)).toBe("retry");
    }
  });

  it("dead-letters other 4xx, 3xx and refused targets at once", () => {
    for (const outcome of [
      { kind: "response", status: 400 },
      { kind: "response", status: 404 },
      { kind: "response", status: 302 },
      { kind: "refused", message: "loopback" },
    ] as const) {
      expect(decide(outcome, 1, POLICY, NOW).action, JSON.stringify(outcome)).toBe("dead");
    }
    expect(decide({ kind: "response", status: 204 }, 1, POLICY, NOW).action).toBe("delivered");
  });

  it("gives up after the last attempt", () => {
    expect(decide({ kind: "response", status: 500 }, 19, POLICY, NOW)).toMatchObject({ action: "dead", why: expect.stringMatching(/19 attempts/) as unknown });
  });

  it("honours a Retry-After longer than its own backoff, in seconds or as a date", () => {
    expect(decide({ kind: "response", status: 429, retryAfter: "120" }, 1, POLICY, NOW, () => 1)).toEqual({ action: "retry", delayMs: 120_000 });
    const at = new Date(NOW + 300_000).toUTCString();
    expect(decide({ kind: "response", status: 503, retryAfter: at }, 1, POLICY, NOW, () => 1)).toEqual({ action: "retry", delayMs: 300_000 });
    // Shorter than the backoff: the backoff wins.
    expect(decide({ kind: "response", status: 503, retryAfter: "1" }, 1, POLICY, NOW, () => 1)).toEqual({ action: "retry", delayMs: 10_000 });
  });
});

describe("backoffMs", () => {
  it("doubles up to the cap, jittered into the upper half", () => {
    expect(backoffMs(1, POLICY, () => 1)).toBe(10_000);
    expect(backoffMs(3, POLICY, () => 1)).toBe(40_000);
    expect(backoffMs(3, POLICY, () => 0)).toBe(20_000);
    expect(backoffMs(30, POLICY, () => 1)).toBe(POLICY.maxMs);
  });

  it("spreads the default schedule over about a day on average jitter", () => {
    let total = 0;
    for (let n = 1; n < POLICY.maxAttempts; n += 1) total += backoffMs(n, POLICY, () => 0.5);
    expect(total / 3_600_000).toBeGreaterThan(20);
    expect(total / 3_600_000).toBeLessThan(30);
  });
});

describe("retryAfterMs", () => {
  it("reads nothing from an absent or unreadable header", () => {
    expect(retryAfterMs(undefined, NOW)).toBeUndefined();
    expect(retryAfterMs("soon", NOW)).toBeUndefined();
  });
});
