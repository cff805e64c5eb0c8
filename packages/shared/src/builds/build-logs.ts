import type { Redis } from "ioredis";
import type { Keyspace } from "../redis/keyspace.js";

/**
 * A build's log: a capped Redis list of lines, each tagged with its attempt.
 * The worker appends what the Kaniko container prints; the API serves it.
 * Logs are for people: they never decide a build's outcome.
 */

export interface BuildLogLine {
  attempt: number;
  line: string;
}

export const DEFAULT_MAX_LOG_LINES = 10_000;
export const MAX_LOG_LINE_CHARS = 4_096;

export async function appendBuildLog(
  redis: Redis,
  ks: Keyspace,
  buildId: string,
  attempt: number,
  lines: readonly string[],
  maxLines = DEFAULT_MAX_LOG_LINES,
): Promise<void> {
  if (lines.length === 0) return;
  const key = ks.buildLogs(buildId);
  const encoded = lines.map((line) =>
    JSON.stringify({ a: attempt, l: line.length > MAX_LOG_LINE_CHARS ? `${line.slice(0, MAX_LOG_LINE_CHARS)}…` : line }),
  );
  // The counter numbers lines across trimming, so followers can resume by position.
  await redis.multi().rpush(key, ...encoded).ltrim(key, -maxLines, -1).incrby(`${key}:total`, lines.length).exec();
}

/**
 * Lines from position `from` (counting every line ever appended, 0 = first)
 * onwards, or the last `tail` lines. `next` is the position to continue from;
 * lines already trimmed away are skipped.
 */
export async function readBuildLog(
  redis: Redis,
  ks: Keyspace,
  buildId: string,
  options: { from?: number; tail?: number } = {},
): Promise<{ lines: BuildLogLine[]; next: number }> {
  const key = ks.buildLogs(buildId);
  const [[, totalRaw], [, length]] = (await redis.multi().get(`${key}:total`).llen(key).exec()) as [
    [unknown, string | null],
    [unknown, number],
  ];
  const total = Number(totalRaw ?? 0);
  const firstKept = total - length;
  let start = Math.max(0, (options.from ?? 0) - firstKept);
  if (options.tail !== undefined) start = Math.max(start, length - options.tail);
  const raw = start < length ? await redis.lrange(key, start, -1) : [];
  const lines = raw.map((entry) => {
    try {
      const parsed = JSON.parse(entry) as { a?: unknown; l?: unknown };
      return { attempt: typeof parsed.a === "number" ? parsed.a : 0, line: typeof parsed.l === "string" ? parsed.l : "" };
    } catch {
      return { attempt: 0, line: entry };
    }
  });
  return { lines, next: firstKept + start + raw.length };
}
