import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startLocalStack, type LocalStack } from "@buildfleet/dev";
import { createProducerConnection, waitForReady, type Redis } from "@buildfleet/shared";
import { uniquePrefix } from "@buildfleet/testkit";

/**
 * A run with every credential a deployment handles — the API's bearer token,
 * a wrong token, a password in a context URL, a token in a query string, and
 * the registry password in the Secret the builds push with — then a grep of
 * everything the run left behind: the API's and the worker's log lines (at
 * debug), every Redis key of the fleet (records, events, logs, queue), every
 * Job and Pod in the cluster, and every answer the API gave. Each secret must
 * appear nowhere, plain, base64 or URL-encoded.
 */

const WRONG_TOKEN = "bf-wrong-token-Zq81KxLeak";
const URL_PASSWORD = "ghp_UrlPasswordLeak7731";
const QUERY_TOKEN = "QueryTokenLeak5521";
const REGISTRY_PASSWORD = "RegistryPasswordLeak9043";
const REGISTRY_USER = "pusher";

/** The forms a secret could leak in. */
const forms = (s: string): string[] => [s, Buffer.from(s).toString("base64"), encodeURIComponent(s)];

describe("credentials never leak into logs, events, records or Jobs", () => {
  let stack: LocalStack;
  let stateDir: string;
  let apiLog = "";
  let workerLog = "";
  let redis: Redis;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "buildfleet-leaks-"));
    stack = await startLocalStack({
      redisUrl: inject("redisUrl"),
      prefix: uniquePrefix(),
      stateDir,
      writeEnvFile: false,
      // The most a deployment would log.
      logLevel: "debug",
      logDestination: new Writable({
        write(chunk: Buffer, _enc, done) {
          apiLog += chunk.toString("utf8");
          done();
        },
      }),
      onWorkerOutput: (text) => (workerLog += text),
    });
    redis = createProducerConnection(stack.redisUrl);
    await waitForReady(redis);
    // The registry credential the builds push with, as a deployment's Secret holds it.
    const auth = Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString("base64");
    const dockerconfig = JSON.stringify({ auths: { "registry.internal:5000": { username: REGISTRY_USER, password: REGISTRY_PASSWORD, auth } } });
    // The local stack creates an empty regcred for the examples; this run's holds the real password.
    stack.sim?.control.store.delete("secrets", "buildfleet", "regcred");
    stack.sim?.control.store.create("secrets", "buildfleet", {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "regcred" },
      type: "kubernetes.io/dockerconfigjson",
      data: { ".dockerconfigjson": Buffer.from(dockerconfig).toString("base64") },
    });
  }, 90_000);

  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
    if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
  });

  it("greps 0 occurrences of any token, password or registry credential after a run", async () => {
    const answers: string[] = [];
    const call = async (path: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; body: string }> => {
      const res = await fetch(`${stack.url}${path}`, {
        method: init.method ?? "GET",
        headers: { authorization: `Bearer ${init.token ?? stack.token}`, ...(init.body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        signal: AbortSignal.timeout(10_000),
      });
      const body = await res.text();
      answers.push(body);
      return { status: res.status, body };
    };
    const request = (destination: string) => ({
      context: { type: "inline", files: { Dockerfile: "FROM busybox:1.36\nRUN true\n" } },
      destinations: [destination],
      registryCredentials: { secretName: "regcred" },
    });

    // The refusals that would echo a credential.
    expect((await call("/v1/builds", { method: "POST", token: WRONG_TOKEN, body: request("registry.internal:5000/dev/app:v1") })).status).toBe(401);
    const withUserinfo = { ...request("registry.internal:5000/dev/app:v1"), context: { type: "git", url: `https://builder:${URL_PASSWORD}@github.com/team/app.git` } };
    expect((await call("/v1/builds", { method: "POST", body: withUserinfo })).status).toBe(400);
    expect((await call(`/v1/builds?token=${QUERY_TOKEN}`)).status).toBeLessThan(500);
    expect((await call(`/v1/builds?access_token=${QUERY_TOKEN}&limit=5`)).status).toBeLessThan(500);

    // Builds that succeed, fail and are cancelled, with the registry Secret.
    const ok = JSON.parse((await call("/v1/builds", { method: "POST", body: request("registry.internal:5000/dev/app:v1") })).body) as { id: string };
    const failing = JSON.parse((await call("/v1/builds", { method: "POST", body: request("registry.internal:5000/dev/fail/app:v1") })).body) as { id: string };
    const cancelled = JSON.parse((await call("/v1/builds", { method: "POST", body: request("registry.internal:5000/dev/other:v1") })).body) as { id: string };
    expect((await call(`/v1/builds/${cancelled.id}`, { method: "DELETE" })).status).toBe(202);
    const ids = [ok.id, failing.id, cancelled.id];
    const deadline = Date.now() + 45_000;
    const states = async (): Promise<string[]> => Promise.all(ids.map(async (id) => (JSON.parse((await call(`/v1/builds/${id}`)).body) as { state: string }).state));
    while (Date.now() < deadline && !(await states()).every((s) => ["succeeded", "failed", "cancelled"].includes(s))) await new Promise((r) => setTimeout(r, 500));
    expect(await states()).toEqual(["succeeded", "failed", "cancelled"]);
    for (const id of ids) await call(`/v1/builds/${id}/logs`);

    // Everything the run left behind.
    const prefix = stack.prefix;
    const stored: string[] = [];
    for (const key of (await redis.keys("*")).filter((k) => k.includes(prefix))) {
      const type = await redis.type(key);
      if (type === "string") stored.push(key, (await redis.get(key)) ?? "");
      else if (type === "hash") stored.push(key, JSON.stringify(await redis.hgetall(key)));
      else if (type === "list") stored.push(key, JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === "set") stored.push(key, JSON.stringify(await redis.smembers(key)));
      else if (type === "zset") stored.push(key, JSON.stringify(await redis.zrange(key, "0", "-1")));
      else if (type === "stream") stored.push(key, JSON.stringify(await redis.xrange(key, "-", "+")));
    }
    const cluster = ["jobs", "pods", "events"].map((r) => JSON.stringify(stack.sim?.control.store.list(r as "jobs", "buildfleet").items ?? []));
    const corpora: Record<string, string> = {
      "API log": apiLog,
      "worker log": workerLog,
      Redis: stored.join("\n"),
      "Jobs, Pods, Events": cluster.join("\n"),
      "API answers": answers.join("\n"),
    };
    // The grep must be able to fail: the run did log, store and answer, and the Secret holds the password.
    expect(apiLog).toContain("build submitted");
    expect(stored.join("\n")).toContain(ok.id);
    const secret = stack.sim?.control.store.list("secrets", "buildfleet").items[0] as { data?: Record<string, string> } | undefined;
    expect(Buffer.from(secret?.data?.[".dockerconfigjson"] ?? "", "base64").toString()).toContain(REGISTRY_PASSWORD);

    const secrets = { "API token": stack.token, "wrong token": WRONG_TOKEN, "URL password": URL_PASSWORD, "query token": QUERY_TOKEN, "registry password": REGISTRY_PASSWORD,
      "registry auth": Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString("base64"),
    };
    const leaks: string[] = [];
    for (const [what, secret] of Object.entries(secrets)) {
      for (const form of forms(secret)) for (const [where, text] of Object.entries(corpora)) if (text.includes(form)) leaks.push(`${what} (${form}) in ${where}`);
    }
    expect(leaks).toEqual([]);
  }, 120_000);
});
