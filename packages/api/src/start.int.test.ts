import { createLogger, loadConfig } from "@buildfleet/shared";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { hashToken } from "./auth/tokens.js";
import { startApi } from "./start.js";
import { REQUEST, logSink } from "./test-support/harness.js";

describe("startApi", () => {
  const redis = useRedis();

  it("reads tokens from BUILDFLEET_TOKENS, listens, serves, logs without the token, and closes", async () => {
    const token = "s3cret-token-value";
    const config = loadConfig({
      REDIS_URL: redis.url,
      BUILDFLEET_PREFIX: redis.prefix,
      API_HOST: "127.0.0.1",
      API_PORT: "0",
      LOG_LEVEL: "info",
      BUILDFLEET_TOKENS: JSON.stringify([
        { tenant: "team-a", tokenSha256: hashToken(token), scopes: ["submit", "read"], registries: ["registry.internal:5000"], secrets: ["regcred"], claims: ["kaniko-workspace"] },
      ]),
    });
    const sink = logSink();
    const api = await startApi(config, createLogger({ name: "api", level: "info", destination: sink.stream }));
    redis.track({ close: () => api.close() });
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const submit = await fetch(`${api.url}/v1/builds`, { method: "POST", headers, body: JSON.stringify(REQUEST) });
    expect(submit.status).toBe(202);
    const { id } = (await submit.json()) as { id: string };
    const read = await fetch(`${api.url}/v1/builds/${id}`, { headers });
    expect(((await read.json()) as { state: string }).state).toBe("queued");
    expect((await fetch(`${api.url}/v1/builds`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);

    await api.close();
    await api.close(); // idempotent
    await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();

    const lines = sink.lines();
    expect(JSON.stringify(lines)).not.toContain(token);
    expect(lines.find((l) => l["msg"] === "build submitted")).toMatchObject({ buildId: id, tenant: "team-a", component: "api" });
    expect(lines.some((l) => l["msg"] === "API listening")).toBe(true);
  });

  it("refuses to start with a broken token list, naming the problem", async () => {
    const config = loadConfig({ REDIS_URL: redis.url, BUILDFLEET_PREFIX: redis.prefix, BUILDFLEET_TOKENS: '[{"tenant":"a"}]' });
    await expect(startApi(config, createLogger({ name: "api", level: "silent" }))).rejects.toThrow(/BUILDFLEET_TOKENS: invalid token list: \[0\]\.tokenSha256/);
  });
});
