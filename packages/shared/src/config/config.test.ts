import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors/index.js";
import { DEFAULT_KANIKO_IMAGE, loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("gives working defaults for an empty environment", () => {
    const config = loadConfig({});
    expect(config.redis).toEqual({ url: "redis://127.0.0.1:6379", prefix: "{buildfleet}" });
    expect(config.builds).toEqual({ tagPolicy: "require-versioned", namespace: "buildfleet" });
    expect(config.kaniko.image).toBe(DEFAULT_KANIKO_IMAGE);
    expect(config.worker.maxStalledCount).toBeGreaterThanOrEqual(3);
    expect(config.kubernetes.inCluster).toBe(false);
  });

  it("reads and coerces variables", () => {
    const config = loadConfig({
      REDIS_URL: "redis://redis:6380/1",
      BUILDFLEET_PREFIX: "staging-{buildfleet}",
      WORKER_CONCURRENCY: "20",
      GLOBAL_CONCURRENCY: "300",
      BUILD_NAMESPACE: "builds",
      BUILDFLEET_TAG_POLICY: "allow-latest",
      LOG_LEVEL: "debug",
    });
    expect(config.redis.prefix).toBe("staging-{buildfleet}");
    expect(config.worker.concurrency).toBe(20);
    expect(config.worker.globalConcurrency).toBe(300);
    expect(config.builds).toEqual({ tagPolicy: "allow-latest", namespace: "builds" });
    expect(config.log.level).toBe("debug");
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ WORKER_CONCURRENCY: "", GLOBAL_CONCURRENCY: "" }).worker).toMatchObject({
      concurrency: 200,
      globalConcurrency: undefined,
    });
  });

  it("detects in-cluster only without an explicit kubeconfig", () => {
    expect(loadConfig({ KUBERNETES_SERVICE_HOST: "10.0.0.1" }).kubernetes.inCluster).toBe(true);
    expect(loadConfig({ KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBECONFIG: "/k" }).kubernetes).toMatchObject({
      inCluster: false,
      kubeconfig: "/k",
    });
  });

  it("names every bad variable, what is wrong and what it got", () => {
    let error: unknown;
    try {
      loadConfig({
        WORKER_CONCURRENCY: "abc",
        BUILDFLEET_PREFIX: "buildfleet",
        REDIS_URL: "http://x",
        LOG_LEVEL: "loud",
        BUILD_NAMESPACE: "Builds",
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('WORKER_CONCURRENCY: expected a whole number from 1 to 100000 (got "abc")');
    expect(message).toContain("BUILDFLEET_PREFIX: must carry one Redis Cluster hash tag");
    expect(message).toContain("REDIS_URL: expected a redis:// or rediss:// URL");
    expect(message).toContain("LOG_LEVEL: expected one of fatal, error");
    expect(message).toContain("BUILD_NAMESPACE: expected a Kubernetes namespace name");
  });

  it("bounds the worker's keep-alive connections to the API server", () => {
    expect(loadConfig({}).kubernetes.maxConnections).toBe(64);
    expect(loadConfig({ K8S_MAX_CONNECTIONS: "8" }).kubernetes.maxConnections).toBe(8);
    expect(() => loadConfig({ K8S_MAX_CONNECTIONS: "0" })).toThrow(/K8S_MAX_CONNECTIONS: expected a whole number from 1 to 1000/);
  });

  it("rejects a stall count below 3 (long builds would be failed as stalled)", () => {
    expect(() => loadConfig({ MAX_STALLED_COUNT: "1" })).toThrow(/MAX_STALLED_COUNT/);
  });

  it("gives the API a 1 MiB body limit on 0.0.0.0:8080 and no tokens by default", () => {
    expect(loadConfig({}).api).toEqual({
      host: "0.0.0.0",
      port: 8080,
      bodyLimitBytes: 1024 * 1024,
      tokensFile: undefined,
      tokens: undefined,
      sse: { maxStreams: 5_000, maxStreamsPerToken: 50 },
      timeouts: { requestMs: 30_000, headersMs: 10_000, connectionMs: 60_000, keepAliveMs: 72_000 },
      shutdownTimeoutMs: 25_000,
    });
  });

  it("reads the API variables", () => {
    const api = loadConfig({
      API_HOST: "127.0.0.1",
      API_PORT: "0",
      API_BODY_LIMIT_BYTES: "2048",
      BUILDFLEET_TOKENS_FILE: "/etc/buildfleet/tokens.yaml",
      BUILDFLEET_TOKENS: "[]",
      API_SSE_MAX_STREAMS: "100",
      API_SSE_MAX_STREAMS_PER_TOKEN: "5",
      API_REQUEST_TIMEOUT_MS: "20000",
      API_HEADERS_TIMEOUT_MS: "5000",
      API_CONNECTION_TIMEOUT_MS: "90000",
      API_KEEP_ALIVE_TIMEOUT_MS: "65000",
    }).api;
    expect(api).toEqual({
      host: "127.0.0.1",
      port: 0,
      bodyLimitBytes: 2048,
      tokensFile: "/etc/buildfleet/tokens.yaml",
      tokens: "[]",
      sse: { maxStreams: 100, maxStreamsPerToken: 5 },
      timeouts: { requestMs: 20_000, headersMs: 5_000, connectionMs: 90_000, keepAliveMs: 65_000 },
      shutdownTimeoutMs: 25_000,
    });
  });

  it("rejects an API port or body limit out of range", () => {
    expect(() => loadConfig({ API_PORT: "70000" })).toThrow(/API_PORT: expected a whole number from 0 to 65535/);
    expect(() => loadConfig({ API_BODY_LIMIT_BYTES: "10" })).toThrow(/API_BODY_LIMIT_BYTES/);
  });
});
