import { TokenEntry, TokenTable, hashToken, startApi } from "@buildfleet/api";
import { BuildStore, createLogger, createWorkerConnection, keyspace, loadConfig } from "@buildfleet/shared";
import { type BuildRecord } from "@buildfleet/contract";
import type { RedisTestContext } from "@buildfleet/testkit";
import { runCli } from "@buildfleet/cli";

/**
 * The real API (fastify, rate limit, Redis) on a loopback port, for running
 * the CLI in-process against it. Builds are moved the way a worker would, so
 * no worker or cluster is needed; everything is tracked by the Redis harness.
 */
export interface LiveApi {
  url: string;
  token: string;
  store: BuildStore;
  markRunning(id: string): Promise<BuildRecord>;
  finish(id: string, to?: "succeeded" | "failed"): Promise<BuildRecord>;
  cli(args: string[], options?: { signal?: AbortSignal; stdin?: string; cwd?: string; onStdout?: (text: string) => void; onStderr?: (text: string) => void }): Promise<CliRun>;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export const LIVE_TOKEN = "bfcli_live-test-token";

export async function startLiveApi(
  redis: RedisTestContext,
  options: { rateLimit?: { max: number; timeWindowMs: number }; env?: Record<string, string>; cwd?: string } = {},
): Promise<LiveApi> {
  const config = loadConfig({
    REDIS_URL: redis.url,
    BUILDFLEET_PREFIX: redis.prefix,
    BUILDFLEET_TAG_POLICY: "allow-latest",
    LOG_LEVEL: process.env["TEST_LOG_LEVEL"] ?? "silent",
    API_HOST: "127.0.0.1",
    API_PORT: "0",
    ...options.env,
  });
  const tokens = new TokenTable([
    TokenEntry.parse({
      tenant: "dev",
      tokenSha256: hashToken(LIVE_TOKEN),
      scopes: ["submit", "read", "cancel", "admin"],
      registries: ["registry.internal:5000"],
      secrets: ["regcred"],
      claims: ["kaniko-workspace"],
      ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    }),
  ]);
  const api = await startApi(config, createLogger({ name: "cli-live-api", level: config.log.level }), { tokens });
  redis.track({ close: () => api.close(5_000) });
  const store = new BuildStore({ redis: redis.track(createWorkerConnection(redis.url)), keyspace: keyspace(config.redis.prefix), source: "/test/worker" });
  const digest = `sha256:${"b".repeat(64)}`;
  const live: LiveApi = {
    url: api.url,
    token: LIVE_TOKEN,
    store,
    async markRunning(id) {
      const res = await store.transition(id, {
        to: "running",
        patch: () => ({ jobName: "b-live-1", startedAt: new Date().toISOString() }),
        event: { type: "build.running", data: (r) => ({ buildId: r.id, jobName: "b-live-1", attempt: 1 }) },
      });
      return res.record;
    },
    async finish(id, to = "succeeded") {
      const res =
        to === "succeeded"
          ? await store.transition(id, {
              to,
              patch: () => ({ digest }),
              event: { type: "build.succeeded", data: (r) => ({ buildId: r.id, digest, destinations: r.request.destinations, attempts: 1 }) },
            })
          : await store.transition(id, {
              to,
              patch: () => ({ failure: { reason: "BackoffLimitExceeded", message: "RUN exited 1" } }),
              event: { type: "build.failed", data: (r) => ({ buildId: r.id, reason: "BackoffLimitExceeded", message: "RUN exited 1", attempts: 1 }) },
            });
      return res.record;
    },
    async cli(args, o = {}) {
      let stdout = "";
      let stderr = "";
      const code = await runCli(args, {
        stdout: (s) => {
          stdout += s;
          o.onStdout?.(stdout);
        },
        stderr: (s) => {
          stderr += s;
          o.onStderr?.(stderr);
        },
        env: { BUILDFLEET_URL: api.url, BUILDFLEET_TOKEN: LIVE_TOKEN },
        cwd: o.cwd ?? options.cwd ?? process.cwd(),
        readStdin: async () => o.stdin ?? "",
        ...(o.signal ? { signal: o.signal } : {}),
      });
      return { code, stdout, stderr };
    },
  };
  return live;
}
