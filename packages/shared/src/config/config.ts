import { z } from "zod";
import { ConfigError } from "../errors/index.js";
import { LOG_LEVELS } from "../logging/logger.js";
import { DEFAULT_PREFIX, prefixProblem } from "../redis/keyspace.js";
import { redisUrlProblem } from "../redis/redis-url.js";

/**
 * Process configuration, read from the environment once in main.ts via
 * `loadConfig(process.env)` — never at import time, so tests and tools can
 * import any module without a configured environment.
 */

/** Unset and empty variables both mean "use the default". */
const unsetIfEmpty = (v: unknown): unknown => (v === "" ? undefined : v);

const int = (min: number, max: number, fallback: number) =>
  z.preprocess(
    unsetIfEmpty,
    z.coerce
      .number({ error: `expected a whole number from ${min} to ${max}` })
      .int({ error: `expected a whole number from ${min} to ${max}` })
      .min(min, { error: `expected a whole number from ${min} to ${max}` })
      .max(max, { error: `expected a whole number from ${min} to ${max}` })
      .default(fallback),
  );

const optionalInt = (min: number, max: number) =>
  z.preprocess(
    unsetIfEmpty,
    z.coerce
      .number()
      .int({ error: `expected a whole number from ${min} to ${max}` })
      .min(min, { error: `expected a whole number from ${min} to ${max}` })
      .max(max, { error: `expected a whole number from ${min} to ${max}` })
      .optional(),
  );

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const DEFAULT_KANIKO_IMAGE = "gcr.io/kaniko-project/executor:v1.24.0";

/** Variables every process reads: Redis, key prefix, log level, and the build rules the API and worker share. */
const SharedEnv = z.object({
  REDIS_URL: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .default("redis://127.0.0.1:6379")
      .refine((v) => redisUrlProblem(v) === undefined, {
        error: "expected a redis:// or rediss:// URL, or redis+cluster://host:port,host:port,… for a Redis Cluster (example: redis://127.0.0.1:6379)",
      }),
  ),
  BUILDFLEET_PREFIX: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .default(DEFAULT_PREFIX)
      .superRefine((v, ctx) => {
        const problem = prefixProblem(v);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
  ),
  LOG_LEVEL: z.preprocess(
    unsetIfEmpty,
    z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  ),
  BUILDFLEET_TAG_POLICY: z.preprocess(
    unsetIfEmpty,
    z
      .enum(["require-versioned", "allow-latest"], {
        error: "expected require-versioned or allow-latest",
      })
      .default("require-versioned"),
  ),
  BUILD_NAMESPACE: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .max(63, { error: "expected a Kubernetes namespace name (at most 63 characters)" })
      .regex(DNS1123_LABEL, { error: "expected a Kubernetes namespace name (example: buildfleet)" })
      .default("buildfleet"),
  ),
  // Webhooks (issue 17): target policy (API and worker) and delivery (worker).
  BUILDFLEET_WEBHOOKS_ALLOW_HTTP: z.preprocess(unsetIfEmpty, z.stringbool({ error: "expected true or false" }).default(false)),
  BUILDFLEET_WEBHOOKS_ALLOWED_HOSTS: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .default("")
      .transform((v) => v.split(",").map((h) => h.trim()).filter((h) => h !== "")),
  ),
  WEBHOOK_DELIVERY: z.preprocess(unsetIfEmpty, z.stringbool({ error: "expected true or false" }).default(true)),
  WEBHOOK_TIMEOUT_MS: int(100, 120_000, 10_000),
  WEBHOOK_MAX_ATTEMPTS: int(1, 50, 19),
  WEBHOOK_BACKOFF_BASE_MS: int(10, 3_600_000, 10_000),
  WEBHOOK_BACKOFF_MAX_MS: int(10, 24 * 3_600_000, 4 * 3_600_000),
  WEBHOOK_CONCURRENCY: int(1, 1_000, 16),
});

/** The worker's variables: Kubernetes access, Kaniko, concurrency, leases, log capture. */
const WorkerEnv = z.object({
  KUBECONFIG: z.preprocess(unsetIfEmpty, z.string().optional()),
  KUBERNETES_SERVICE_HOST: z.preprocess(unsetIfEmpty, z.string().optional()),
  KANIKO_IMAGE: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^[^\s]+$/, { error: "expected an image reference without spaces" })
      .default(DEFAULT_KANIKO_IMAGE),
  ),
  WORKER_CONCURRENCY: int(1, 100_000, 200),
  GLOBAL_CONCURRENCY: optionalInt(1, 1_000_000),
  /** Running slots of the fleet only interactive builds may take: a count or a percentage of every live worker's WORKER_CONCURRENCY together. */
  LANE_RESERVED_INTERACTIVE: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^\d+(\.\d+)?%?$/, { error: "expected a slot count or a percentage such as 20%" })
      .default("0"),
  ),
  /** A bulk build waiting longer than this moves up to the normal lane (0: never). */
  LANE_BULK_AGING_SECONDS: int(0, 30 * 24 * 3600, 3600),
  JOB_TTL_SECONDS: int(60, 7 * 24 * 3600, 3600),
  KANIKO_PUSH_RETRY: int(0, 10, 3),
  WORKER_HTTP_HOST: z.preprocess(unsetIfEmpty, z.string().default("0.0.0.0")),
  WORKER_HTTP_PORT: int(0, 65_535, 8081),
  SHUTDOWN_TIMEOUT_MS: int(1_000, 600_000, 25_000),
  LOCK_DURATION_MS: int(5_000, 3_600_000, 60_000),
  MAX_STALLED_COUNT: int(3, 100, 5),
  RESYNC_INTERVAL_MS: int(1_000, 3_600_000, 60_000),
  WATCH_INACTIVITY_MS: int(1_000, 3_600_000, 120_000),
  K8S_REQUEST_TIMEOUT_MS: int(500, 300_000, 15_000),
  K8S_MAX_CONNECTIONS: int(1, 1_000, 64),
  CAPTURE_LOGS: z.preprocess(
    unsetIfEmpty,
    z.stringbool({ error: "expected true or false" }).default(true),
  ),
  MAX_LOG_LINES: int(100, 1_000_000, 10_000),
  // Schedules (issue 14): registry HEAD checks per second per registry host for the whole
  // fleet (kept in Redis), and the jitter window firings due in the same second spread over.
  SCHEDULE_HEADS_PER_SECOND: int(1, 100_000, 10),
  SCHEDULE_SPREAD_MS: int(0, 600_000, 5_000),
});

/** The API's variables. */
const ApiEnv = z.object({
  API_HOST: z.preprocess(unsetIfEmpty, z.string().default("0.0.0.0")),
  API_PORT: int(0, 65_535, 8080),
  // Large enough for an inline context (512 KiB of files plus JSON escaping), small enough to refuse abuse.
  API_BODY_LIMIT_BYTES: int(1_024, 64 * 1024 * 1024, 1024 * 1024),
  BUILDFLEET_TOKENS_FILE: z.preprocess(unsetIfEmpty, z.string().optional()),
  BUILDFLEET_TOKENS: z.preprocess(unsetIfEmpty, z.string().optional()),
  // API hardening (issue 12): SSE stream caps.
  API_SSE_MAX_STREAMS: int(1, 1_000_000, 5_000),
  API_SSE_MAX_STREAMS_PER_TOKEN: int(1, 100_000, 50),
  // …and HTTP timeouts (0 nowhere: fastify's defaults of 0 let a slow client hold a socket forever).
  API_REQUEST_TIMEOUT_MS: int(1_000, 3_600_000, 30_000),
  API_HEADERS_TIMEOUT_MS: int(1_000, 3_600_000, 10_000),
  API_CONNECTION_TIMEOUT_MS: int(1_000, 3_600_000, 60_000),
  API_KEEP_ALIVE_TIMEOUT_MS: int(1_000, 3_600_000, 72_000),
  // The API's own bound on close(); it used to borrow the worker's SHUTDOWN_TIMEOUT_MS.
  API_SHUTDOWN_TIMEOUT_MS: int(1_000, 600_000, 25_000),
  // Fleet operations (issue 15): a bulk cancel/retry matching more builds than this needs all (--all).
  BULK_MAX_WITHOUT_ALL: int(1, 10_000, 100),
});

const EnvSchema = SharedEnv.extend(WorkerEnv.shape).extend(ApiEnv.shape);

export interface BuildfleetConfig {
  redis: { url: string; prefix: string };
  log: { level: (typeof LOG_LEVELS)[number] };
  builds: { tagPolicy: "require-versioned" | "allow-latest"; namespace: string };
  kubernetes: {
    /** Path of a kubeconfig file; undefined → in-cluster when running in a pod, else the default file. */
    kubeconfig: string | undefined;
    inCluster: boolean;
    requestTimeoutMs: number;
    /** Keep-alive connections to the API server for request/response calls (watches and log streams have their own). */
    maxConnections: number;
  };
  kaniko: { image: string; pushRetry: number; jobTtlSeconds: number };
  worker: {
    concurrency: number;
    globalConcurrency: number | undefined;
    /** LANE_RESERVED_INTERACTIVE as given ("20%" or "2"), resolved by the worker against the fleet's slots (the worker registry). */
    reservedInteractive: string;
    /** LANE_BULK_AGING_SECONDS in ms; 0 turns aging off. */
    bulkAgingMs: number;
    httpHost: string;
    httpPort: number;
    shutdownTimeoutMs: number;
    lockDurationMs: number;
    maxStalledCount: number;
    resyncIntervalMs: number;
    watchInactivityMs: number;
    /** Stream each attempt's Kaniko log into Redis (one log request per pod). */
    captureLogs: boolean;
    maxLogLines: number;
    /** HEAD checks per second per registry host, fleet-wide; firings due at once spread over spreadMs. */
    schedules: { headsPerSecond: number; spreadMs: number };
  };
  api: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    /** Path of a YAML/JSON token list (parsed by the API, which owns the token format). */
    tokensFile: string | undefined;
    /** The same list as JSON text, inline. */
    tokens: string | undefined;
    /** Open SSE streams allowed per API process and per token (429 beyond). */
    sse: { maxStreams: number; maxStreamsPerToken: number };
    /**
     * request: the whole request (headers and body) must arrive in time, else 408;
     * headers: the same for the headers alone; connection: a socket idle this long is
     * closed (streaming responses opt out); keepAlive: idle time between requests.
     */
    timeouts: { requestMs: number; headersMs: number; connectionMs: number; keepAliveMs: number };
    /** Bound on a clean close() (SIGTERM): streams end, in-flight requests finish, Redis quits. */
    shutdownTimeoutMs: number;
  };
  /** Fleet operations: bulk cancel/retry above `bulkMaxWithoutAll` matches need an explicit all. */
  fleet: { bulkMaxWithoutAll: number };
  webhooks: {
    /** Targets may be http:// (default https only). */
    allowHttp: boolean;
    /** Hosts allowed to resolve to loopback/private addresses (never metadata). */
    allowedHosts: string[];
    /** Whether this worker process delivers webhooks. */
    delivery: boolean;
    timeoutMs: number;
    maxAttempts: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    concurrency: number;
  };
}

/** What the API process reads: the shared section and its own, nothing of the worker's. */
export type ApiConfig = Pick<BuildfleetConfig, "redis" | "log" | "builds" | "webhooks" | "api" | "fleet">;
/** What the worker process reads: the shared section and its own, nothing of the API's. */
export type WorkerConfig = Omit<BuildfleetConfig, "api" | "fleet">;

/** Parses `env` with one process's schema; throws ConfigError naming every bad variable of that schema only. */
function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.map(String).join(".");
      const raw = env[name];
      const got = raw === undefined ? "" : ` (got ${JSON.stringify(raw)})`;
      return { variable: name, message: `${issue.message}${got}` };
    });
    throw new ConfigError(
      `invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join("\n")}`,
      { problems },
    );
  }
  return parsed.data;
}

function sharedSections(e: z.infer<typeof SharedEnv>): Pick<BuildfleetConfig, "redis" | "log" | "builds" | "webhooks"> {
  return {
    webhooks: {
      allowHttp: e.BUILDFLEET_WEBHOOKS_ALLOW_HTTP,
      allowedHosts: e.BUILDFLEET_WEBHOOKS_ALLOWED_HOSTS,
      delivery: e.WEBHOOK_DELIVERY,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      backoffBaseMs: e.WEBHOOK_BACKOFF_BASE_MS,
      backoffMaxMs: e.WEBHOOK_BACKOFF_MAX_MS,
      concurrency: e.WEBHOOK_CONCURRENCY,
    },
    redis: { url: e.REDIS_URL, prefix: e.BUILDFLEET_PREFIX },
    log: { level: e.LOG_LEVEL },
    builds: { tagPolicy: e.BUILDFLEET_TAG_POLICY, namespace: e.BUILD_NAMESPACE },
  };
}

function workerSections(e: z.infer<typeof WorkerEnv>): Pick<BuildfleetConfig, "kubernetes" | "kaniko" | "worker"> {
  return {
    kubernetes: {
      kubeconfig: e.KUBECONFIG,
      inCluster: e.KUBECONFIG === undefined && e.KUBERNETES_SERVICE_HOST !== undefined,
      requestTimeoutMs: e.K8S_REQUEST_TIMEOUT_MS,
      maxConnections: e.K8S_MAX_CONNECTIONS,
    },
    kaniko: { image: e.KANIKO_IMAGE, pushRetry: e.KANIKO_PUSH_RETRY, jobTtlSeconds: e.JOB_TTL_SECONDS },
    worker: {
      concurrency: e.WORKER_CONCURRENCY,
      globalConcurrency: e.GLOBAL_CONCURRENCY,
      reservedInteractive: e.LANE_RESERVED_INTERACTIVE,
      bulkAgingMs: e.LANE_BULK_AGING_SECONDS * 1000,
      httpHost: e.WORKER_HTTP_HOST,
      httpPort: e.WORKER_HTTP_PORT,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      lockDurationMs: e.LOCK_DURATION_MS,
      maxStalledCount: e.MAX_STALLED_COUNT,
      resyncIntervalMs: e.RESYNC_INTERVAL_MS,
      watchInactivityMs: e.WATCH_INACTIVITY_MS,
      captureLogs: e.CAPTURE_LOGS,
      maxLogLines: e.MAX_LOG_LINES,
      schedules: { headsPerSecond: e.SCHEDULE_HEADS_PER_SECOND, spreadMs: e.SCHEDULE_SPREAD_MS },
    },
  };
}

function apiSection(e: z.infer<typeof ApiEnv>): Pick<BuildfleetConfig, "api" | "fleet"> {
  return {
    api: {
      host: e.API_HOST,
      port: e.API_PORT,
      bodyLimitBytes: e.API_BODY_LIMIT_BYTES,
      tokensFile: e.BUILDFLEET_TOKENS_FILE,
      tokens: e.BUILDFLEET_TOKENS,
      sse: { maxStreams: e.API_SSE_MAX_STREAMS, maxStreamsPerToken: e.API_SSE_MAX_STREAMS_PER_TOKEN },
      timeouts: {
        requestMs: e.API_REQUEST_TIMEOUT_MS,
        headersMs: e.API_HEADERS_TIMEOUT_MS,
        connectionMs: e.API_CONNECTION_TIMEOUT_MS,
        keepAliveMs: e.API_KEEP_ALIVE_TIMEOUT_MS,
      },
      shutdownTimeoutMs: e.API_SHUTDOWN_TIMEOUT_MS,
    },
    fleet: { bulkMaxWithoutAll: e.BULK_MAX_WITHOUT_ALL },
  };
}

/** The API process's configuration: a bad worker variable cannot stop it. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const e = parseEnv(SharedEnv.extend(ApiEnv.shape), env);
  return { ...sharedSections(e), ...apiSection(e) };
}

/** The worker process's configuration: a bad API variable cannot stop it. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const e = parseEnv(SharedEnv.extend(WorkerEnv.shape), env);
  return { ...sharedSections(e), ...workerSections(e) };
}

/** Every section (tests, the dev stack running both processes); throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): BuildfleetConfig {
  const e = parseEnv(EnvSchema, env);
  return { ...sharedSections(e), ...workerSections(e), ...apiSection(e) };
}
