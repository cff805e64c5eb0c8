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
  /** When the container wrote it (the kubelet's timestamp, else when it was stored), ISO 8601; absent on lines stored before times were kept. */
  time?: string;
}

/** A line to store with the time it was written (RFC 3339, e.g. the kubelet's `timestamps=true` prefix). */
export interface TimedLogLine {
  line: string;
  time: string;
}

export const DEFAULT_MAX_LOG_LINES = 10_000;
export const MAX_LOG_LINE_CHARS = 4_096;

export async function appendBuildLog(
  redis: Redis,
  ks: Keyspace,
  buildId: string,
  attempt: number,
  lines: readonly (string | TimedLogLine)[],
  maxLines = DEFAULT_MAX_LOG_LINES,
): Promise<void> {
  if (lines.length === 0) return;
  const key = ks.buildLogs(buildId);
  const storedAt = new Date().toISOString();
  const encoded = lines.map((entry) => {
    const line = typeof entry === "string" ? entry : entry.line;
    const time = typeof entry === "string" ? storedAt : normalTime(entry.time) ?? storedAt;
    return JSON.stringify({ a: attempt, l: line.length > MAX_LOG_LINE_CHARS ? `${line.slice(0, MAX_LOG_LINE_CHARS)}…` : line, t: time });
  });
  // The counter numbers lines across trimming, so followers can resume by position.
  await redis.multi().rpush(key, ...encoded).ltrim(key, -maxLines, -1).incrby(`${key}:total`, lines.length).exec();
}

/** One ISO 8601 form (ms precision, Z) for any RFC 3339 time, so stored times compare and print alike; undefined if unparsable. */
function normalTime(time: string): string | undefined {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * Lines from position `from` (counting every line ever appended, 0 = first)
 * onwards, or the last `tail` lines. `since` (ms since the epoch) keeps only
 * lines written at or after it — applied before `tail`, as kubectl does; lines
 * without a time are left out then. `next` is the position to continue from;
 * lines already trimmed away are skipped.
 */
export async function readBuildLog(
  redis: Redis,
  ks: Keyspace,
  buildId: string,
  options: { from?: number; tail?: number; since?: number } = {},
): Promise<{ lines: BuildLogLine[]; next: number }> {
  const key = ks.buildLogs(buildId);
  const [[, totalRaw], [, length]] = (await redis.multi().get(`${key}:total`).llen(key).exec()) as [
    [unknown, string | null],
    [unknown, number],
  ];
  const total = Number(totalRaw ?? 0);
  const firstKept = total - length;
  let start = Math.max(0, (options.from ?? 0) - firstKept);
  // With `since`, the tail is taken from the lines it kept: read them all (the list is capped).
  if (options.tail !== undefined && options.since === undefined) start = Math.max(start, length - options.tail);
  const raw = start < length ? await redis.lrange(key, start, -1) : [];
  let lines = raw.map(decodeLine);
  if (options.since !== undefined) {
    const since = options.since;
    lines = lines.filter((l) => l.time !== undefined && Date.parse(l.time) >= since);
    if (options.tail !== undefined) lines = lines.slice(Math.max(0, lines.length - options.tail));
  }
  return { lines, next: firstKept + start + raw.length };
}

function decodeLine(entry: string): BuildLogLine {
  try {
    const parsed = JSON.parse(entry) as { a?: unknown; l?: unknown; t?: unknown };
    const line: BuildLogLine = { attempt: typeof parsed.a === "number" ? parsed.a : 0, line: typeof parsed.l === "string" ? parsed.l : "" };
    if (typeof parsed.t === "string") line.time = parsed.t;
    return line;
  } catch {
    return { attempt: 0, line: entry };
  }
}
