import { Writable } from "node:stream";
import { Queue } from "bullmq";
import { BuildQueues, BuildStore, bullmqTelemetry, createLogger, createProducerConnection, createWorkerConnection, keyspace, loadConfig, waitForReady, type BuildfleetConfig, type Keyspace, type Redis } from "@buildfleet/shared";
import { type BuildRecord } from "@buildfleet/contract";
import type { RedisTestContext } from "@buildfleet/testkit";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import type { DestinationStream } from "pino";
import { buildApp } from "../app.js";
import { hashToken, TokenTable, type TokenEntry } from "../auth/tokens.js";
import type { ApiDeps, ApiTiming } from "../context.js";

/** Tokens of the test tenants. */
export const TOKENS = {
  teamA: "token-team-a",
  teamB: "token-team-b",
  readOnly: "token-team-a-read",
  admin: "token-ops-admin",
  limited: "token-team-c-limited",
  capped: "token-team-d-capped",
} as const;

const entry = (token: string, e: Omit<TokenEntry, "tokenSha256">): TokenEntry => ({ ...e, tokenSha256: hashToken(token) });

export const TOKEN_ENTRIES: TokenEntry[] = [
  entry(TOKENS.teamA, {
    tenant: "team-a",
    scopes: ["submit", "read", "cancel"],
    registries: ["registry.internal:5000/team-a", "ghcr.io/team-a"],
    secrets: ["regcred"],
    claims: ["kaniko-workspace"],
  }),
  entry(TOKENS.teamB, {
    tenant: "team-b",
    scopes: ["submit", "read", "cancel"],
    registries: ["registry.internal:5000/team-b"],
    secrets: ["team-b-cred"],
    claims: ["kaniko-workspace", "team-b-workspace"],
    // Lets tests fetch contexts from a server on loopback.
    contextHosts: ["127.0.0.1", "localhost"],
  }),
  entry(TOKENS.readOnly, { tenant: "team-a", scopes: ["read"], registries: [], secrets: [], claims: [] }),
  entry(TOKENS.admin, { tenant: "ops", scopes: ["read", "admin"], registries: [], secrets: [], claims: [] }),
  entry(TOKENS.limited, {
    tenant: "team-c",
    scopes: ["read"],
    registries: [],
    secrets: [],
    claims: [],
    rateLimit: { max: 3, timeWindowMs: 60_000 },
  }),
  // Lanes: a tenant with caps and a weight (may push REQUEST like team-a).
  entry(TOKENS.capped, {
    tenant: "team-d",
    scopes: ["submit", "read"],
    registries: ["registry.internal:5000/team-a"],
    secrets: ["regcred"],
    claims: ["kaniko-workspace"],
    weight: 2,
    maxRunning: 1,
    maxQueued: 2,
  }),
];

/** A valid request team-a may submit. */
export const REQUEST = {
  context: { type: "volume", claimName: "kaniko-workspace", path: "my-build" },
  destinations: ["registry.internal:5000/team-a/app:v1.0.0"],
  registryCredentials: { secretName: "regcred" },
  labels: { team: "payments" },
};

export interface ApiHarness {
  app: FastifyInstance;
  /** CLIENT LIST name of the connections openStreamConnection makes. */
  streamConnectionName: string;
  config: BuildfleetConfig;
  ks: Keyspace;
  redis: Redis;
  /** For assertions on the queue's contents only; the app itself gets the queue port. */
  queue: Queue;
  store: BuildStore;
  inject(token: string | undefined, options: InjectOptions): Promise<LightMyRequestResponse>;
  submit(request?: unknown, token?: string): Promise<{ id: string }>;
  /** Every key of builds/idempotency/logs under the test prefix (the queue's own keys excluded). */
  buildKeys(): Promise<string[]>;
  /** Moves a build the way a worker would (for cancel and stream tests). */
  finish(id: string, to?: "succeeded" | "failed"): Promise<BuildRecord>;
  markRunning(id: string): Promise<BuildRecord>;
  /** Listens on 127.0.0.1 (random port) for streaming tests; the harness closes it. */
  listen(): Promise<string>;
}

export async function startHarness(
  redis: RedisTestContext,
  options: {
    env?: Record<string, string>;
    timing?: Partial<ApiTiming>;
    events?: ApiDeps["events"];
    ui?: ApiDeps["ui"];
    logDestination?: DestinationStream;
    /** Replaces TOKEN_ENTRIES (e.g. a token with a higher rate limit for a fuzz run). */
    tokens?: readonly TokenEntry[];
    /** Replaces DNS resolution of context hosts (a fixed table keeps a run off the network). */
    resolveHost?: ApiDeps["resolveHost"];
  } = {},
): Promise<ApiHarness> {
  const config = loadConfig({
    REDIS_URL: redis.url,
    BUILDFLEET_PREFIX: redis.prefix,
    LOG_LEVEL: process.env["TEST_LOG_LEVEL"] ?? "silent",
    API_HOST: "127.0.0.1",
    API_PORT: "0",
    ...options.env,
  });
  const ks = keyspace(config.redis.prefix);
  const streamConnectionName = `api-events-${redis.prefix.replace(/[^A-Za-z0-9-]/g, "")}`;
  const conn = redis.track(createProducerConnection(redis.url));
  await waitForReady(conn);
  const queues = new BuildQueues({ connection: conn, keyspace: ks, ...bullmqTelemetry() });
  redis.track({ close: () => queues.close() });
  // The tests' own look into BullMQ (to assert what is in the queue); the app sees only the port.
  const queue = redis.track(new Queue(ks.buildQueue, { connection: conn, prefix: ks.bullPrefix }));
  const store = new BuildStore({ redis: conn, keyspace: ks, source: "/test/api" });
  const app = buildApp({
    config,
    logger: createLogger({
      name: "api-test",
      level: config.log.level,
      ...(options.logDestination ? { destination: options.logDestination } : {}),
    }),
    redis: conn,
    queues,
    store,
    tokens: new TokenTable(options.tokens ?? TOKEN_ENTRIES),
    // Named per test so a test can count this app's event-stream connections in CLIENT LIST. Not
    // tracked: the app disconnects it on close (a QUIT would wait behind the blocking read).
    openStreamConnection: () => createWorkerConnection(redis.url, { connectionName: streamConnectionName }),
    ...(options.timing ? { timing: options.timing } : {}),
    ...(options.events ? { events: options.events } : {}),
    ...(options.ui ? { ui: options.ui } : {}),
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
  });
  redis.track(app);
  await app.ready();
  const workerStore = new BuildStore({ redis: conn, keyspace: ks, source: "/test/worker" });

  const h: ApiHarness = {
    app,
    streamConnectionName,
    config,
    ks,
    redis: conn,
    queue,
    store,
    inject(token, opts) {
      const headers = { ...(opts.headers ?? {}), ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) };
      return app.inject({ ...opts, headers });
    },
    async submit(request = REQUEST, token = TOKENS.teamA) {
      const res = await h.inject(token, { method: "POST", url: "/v1/builds", payload: request as object });
      if (res.statusCode !== 202) throw new Error(`submit answered ${res.statusCode}: ${res.body}`);
      return res.json<{ id: string }>();
    },
    async buildKeys() {
      // Redis glob treats { } literally; the prefix holds nothing else special.
      const p = ks.bullPrefix;
      const groups = await Promise.all([`${p}:build:*`, `${p}:idem:*`, `${p}:logs:*`, ks.buildIndex, ks.events].map((g) => conn.keys(g)));
      return groups.flat().sort();
    },
    listen: () => app.listen({ host: "127.0.0.1", port: 0 }),
    async markRunning(id) {
      const res = await workerStore.transition(id, {
        to: "running",
        patch: () => ({ jobName: "b-test-1", startedAt: new Date().toISOString() }),
        event: { type: "build.running", data: (r) => ({ buildId: r.id, jobName: "b-test-1", attempt: 1 }) },
      });
      return res.record;
    },
    async finish(id, to = "succeeded") {
      const digest = `sha256:${"a".repeat(64)}`;
      const res =
        to === "succeeded"
          ? await workerStore.transition(id, {
              to,
              patch: () => ({ digest }),
              event: { type: "build.succeeded", data: (r) => ({ buildId: r.id, digest, destinations: r.request.destinations, attempts: 1 }) },
            })
          : await workerStore.transition(id, {
              to,
              patch: () => ({ failure: { reason: "BackoffLimitExceeded", message: "RUN exited 1" } }),
              event: { type: "build.failed", data: (r) => ({ buildId: r.id, reason: "BackoffLimitExceeded", message: "RUN exited 1", attempts: 1 }) },
            });
      return res.record;
    },
  };
  return h;
}

/** Collects pino's JSON lines (a logDestination for startHarness or createLogger). */
export function logSink(): { lines: () => Record<string, unknown>[]; text: () => string; stream: Writable } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString("utf8");
      done();
    },
  });
  return {
    stream,
    text: () => text,
    lines: () =>
      text
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
