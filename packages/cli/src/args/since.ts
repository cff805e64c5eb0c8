import { UsageError } from "../exit-codes.js";

/**
 * `logs --since`: a duration as kubectl takes it (Go's `5s`, `2m`, `1h30m`,
 * `1.5h`) or an RFC 3339 time (kubectl's `--since-time`). A duration becomes
 * `sinceSeconds`, so "the last 5 minutes" is counted by the API's clock, not
 * this machine's.
 */
export type Since = { sinceSeconds: number } | { sinceTime: string };

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i;

export function sinceArg(value: string): Since {
  const v = value.trim();
  if (DURATION.test(v)) {
    let ms = 0;
    for (const [, n, unit] of v.matchAll(PART)) ms += Number(n) * (UNIT_MS[unit ?? ""] ?? 0);
    // The API counts whole seconds; a part of one still means "at least this recent".
    if (ms > 0) return { sinceSeconds: Math.max(1, Math.ceil(ms / 1000)) };
  }
  if (RFC3339.test(v) && !Number.isNaN(Date.parse(v))) return { sinceTime: v.toUpperCase() };
  throw new UsageError(
    `--since expects a duration (e.g. 30s, 5m, 1h30m) or an RFC 3339 time (e.g. 2026-12-02T10:00:00Z), got ${JSON.stringify(value)}`,
  );
}
