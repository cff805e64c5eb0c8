import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors/index.js";
import { loadApiConfig, loadConfig, loadWorkerConfig } from "./config.js";

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return ((err as ConfigError).details?.["problems"] as { variable: string }[]).map((p) => p.variable);
  }
  throw new Error("expected a ConfigError");
}

describe("configuration per process", () => {
  it("starts the API despite a bad worker variable, and the worker despite a bad API variable", () => {
    const env = { WORKER_CONCURRENCY: "lots", API_PORT: "http" };
    expect(problemsOf(() => loadApiConfig(env))).toEqual(["API_PORT"]);
    expect(problemsOf(() => loadWorkerConfig(env))).toEqual(["WORKER_CONCURRENCY"]);
    expect(loadApiConfig({ WORKER_CONCURRENCY: "lots" }).api.port).toBe(8080);
    expect(loadWorkerConfig({ API_PORT: "http" }).worker.concurrency).toBe(200);
  });

  it("reports a bad shared variable to every process", () => {
    for (const load of [loadApiConfig, loadWorkerConfig, loadConfig]) expect(problemsOf(() => load({ REDIS_URL: "localhost" }))).toEqual(["REDIS_URL"]);
  });

  it("gives each process only its own sections", () => {
    expect(Object.keys(loadApiConfig({})).sort()).toEqual(["api", "builds", "fleet", "log", "redis", "webhooks"]);
    expect(Object.keys(loadWorkerConfig({})).sort()).toEqual(["builds", "kaniko", "kubernetes", "log", "redis", "webhooks", "worker"]);
  });

  it("bounds the API's close with its own variable, not the worker's SHUTDOWN_TIMEOUT_MS", () => {
    expect(loadApiConfig({ SHUTDOWN_TIMEOUT_MS: "nonsense" }).api.shutdownTimeoutMs).toBe(25_000);
    expect(loadApiConfig({ API_SHUTDOWN_TIMEOUT_MS: "5000" }).api.shutdownTimeoutMs).toBe(5_000);
  });

  it("reads the same values as loadConfig for the sections both parse", () => {
    const env = { REDIS_URL: "redis://r:6380", API_PORT: "9000", WORKER_CONCURRENCY: "7", BUILD_NAMESPACE: "builds" };
    const all = loadConfig(env);
    expect(loadApiConfig(env)).toEqual({ redis: all.redis, log: all.log, builds: all.builds, webhooks: all.webhooks, api: all.api, fleet: all.fleet });
    const { api: _api, fleet: _fleet, ...workerSide } = all;
    expect(loadWorkerConfig(env)).toEqual(workerSide);
  });
});
