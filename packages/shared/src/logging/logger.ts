import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";

export type { Logger } from "pino";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Paths pino censors wherever they appear in a log line. Credentials never
 * belong in logs: auth headers, tokens, passwords, secrets, and Redis URLs
 * (which may carry a password).
 */
export const REDACT_PATHS = [
  "password",
  "*.password",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "headers.cookie",
  "*.headers.authorization",
  "*.headers.cookie",
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-api-key"]',
  "redisUrl",
  "*.redisUrl",
  "dockerconfigjson",
  "*.dockerconfigjson",
];

export interface CreateLoggerOptions {
  level?: LogLevel;
  /** The service name bound on every line (`api`, `worker`, `kubesim` …). */
  name: string;
  /** Where lines go (default stdout); tests pass a stream to read them back. */
  destination?: DestinationStream;
  /** Extra fields bound on every line. */
  base?: Record<string, unknown>;
}

/**
 * The one root logger of a process (made in main.ts). Components take
 * `logger.child({ component })`; per-build code `child({ buildId, jobName, attempt })`.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? "info",
    name: options.name,
    base: { pid: process.pid, ...options.base },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
    },
    serializers: {
      err: pino.stdSerializers.err,
    },
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

/** `redis://user:pass@host:6379/0` → `redis://user:***@host:6379/0`, for log lines. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "[unparseable url]";
  }
}
