import { BuildStore, DeliveryStore, WaveStore, WebhookStore, createLogger, keyspace, loadConfig, newWaveId, recordForQueuedBuild, waveEvents, type WaveDoc } from "@buildfleet/shared";
import { newBuildId, parseBuildRequest, type DeliveryView, type WebhookSpec } from "@buildfleet/contract";
import { describe, expect, it } from "vitest";
import { startWebhookReceiver, useRedis, type Respond, type WebhookReceiver } from "@buildfleet/testkit";
import { WebhookDispatcher, type WebhookDispatcherOptions } from "./dispatcher.js";

const REQUEST = parseBuildRequest({
  context: { type: "inline", files: {} },
  dockerfile: { inline: "FROM busybox:latest" },
  destinations: ["registry.internal:5000/team-a/app:v1"],
  labels: { team: "payments" },
});

describe("WebhookDispatcher", () => {
  const redis = useRedis();

  /** Everything a test needs: stores on a tracked connection, and dispatchers closed after the test. */
  function setup(env: Record<string, string> = {}) {
    const config = loadConfig({
      REDIS_URL: redis.url,
      BUILDFLEET_PREFIX: redis.prefix,
      // Tests deliver to a receiver on loopback over http: the operator allows exactly that.
      BUILDFLEET_WEBHOOKS_ALLOW_HTTP: "true",
      BUILDFLEET_WEBHOOKS_ALLOWED_HOSTS: "127.0.0.1",
      WEBHOOK_BACKOFF_BASE_MS: "20",
      WEBHOOK_BACKOFF_MAX_MS: "50",
      WEBHOOK_MAX_ATTEMPTS: "4",
      WEBHOOK_TIMEOUT_MS: "2000",
      ...env,
    });
    const conn = redis.connection();
    const webhooks = new WebhookStore(conn, config.redis.prefix);
    const deliveries = new DeliveryStore(conn, config.redis.prefix);
    const store = new BuildStore({ redis: conn, keyspace: keyspace(config.redis.prefix), source: "/test/api" });
    const logger = createLogger({ name: "webhooks-test", level: (process.env["TEST_LOG_LEVEL"] as "info" | undefined) ?? "silent" });
    const dispatcher = (extra: Partial<WebhookDispatcherOptions> = {}) =>
      redis.track(
        new WebhookDispatcher({
          redisUrl: config.redis.url,
          prefix: config.redis.prefix,
          logger,
          settings: config.webhooks,
          pollMs: 20,
          blockMs: 100,
          ...extra,
        }),
      );
    const submit = async (tenant = "team-a", labels: Record<string, string> = { team: "payments" }) => {
      const buildId = newBuildId();
      await store.create(recordForQueuedBuild({ buildId, tenant, request: { ...REQUEST, labels }, submittedAt: new Date().toISOString() }));
      return buildId;
    };
    const register = async (tenant: string, name: string, receiver: WebhookReceiver | string, spec: Partial<WebhookSpec> = {}) => {
      const url = typeof receiver === "string" ? receiver : receiver.url;
      const { secret } = await webhooks.put(tenant, name, { url, events: ["build.queued"], mode: "structured", ...spec });
      if (secret === undefined) throw new Error("expected a new webhook");
      return secret;
    };
    /** Polls the delivery log until `pred` holds (bounded). */
    const waitForDelivery = async (tenant: string, name: string, pred: (d: DeliveryView) => boolean, timeoutMs = 10_000) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = (await deliveries.list(tenant, name)).find(pred);
        if (found) return found;
        if (Date.now() > until) throw new Error(`no delivery of ${tenant}/${name} matched within ${timeoutMs} ms: ${JSON.stringify(await deliveries.list(tenant, name))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const receiver = async (respond?: Respond) => {
      const r = await startWebhookReceiver({ secret: "whsec_" + Buffer.alloc(32, 7).toString("base64"), ...(respond ? { respond } : {}) });
      redis.track(r);
      return r;
    };
    return { config, webhooks, deliveries, dispatcher, submit, register, waitForDelivery, receiver };
  }

  it("delivers a structured CloudEvent whose Standard Webhooks signature verifies", async () => {
    const t = setup();
    const rx = await t.receiver();
    rx.setSecret(await t.register("team-a", "deploy", rx));
    await t.dispatcher().start();
    const buildId = await t.submit();
    const d = await t.waitForDelivery("team-a", "deploy", (x) => x.state === "delivered");
    expect(rx.accepted()).toHaveLength(1);
    const got = rx.accepted()[0];
    expect(got?.headers["content-type"]).toContain("application/cloudevents+json");
    expect(got?.webhookId).toBe(d.id);
    expect(got?.event).toMatchObject({ type: "build.queued", subject: buildId, id: `${buildId}-1`, sequence: 1, data: { buildId, tenant: "team-a" } });
    expect(d).toMatchObject({ attempts: 1, lastStatus: 200, eventType: "build.queued", buildId });
  });

  it("sends binary mode on request: ce-* headers and the data as the body", async () => {
    const t = setup();
    const rx = await t.receiver();
    rx.setSecret(await t.register("team-a", "deploy", rx, { mode: "binary" }));
    await t.dispatcher().start();
    const buildId = await t.submit();
    await t.waitForDelivery("team-a", "deploy", (x) => x.state === "delivered");
    const got = rx.accepted()[0];
    expect(got?.headers["ce-type"]).toBe("build.queued");
    expect(got?.headers["ce-sequence"]).toBe("1");
    expect(got?.event).toMatchObject({ subject: buildId, data: { buildId } });
  });

  it("retries a receiver answering 503 twice, then delivers with the same webhook-id", async () => {
    const t = setup();
    const rx = await t.receiver((n) => (n <= 2 ? 503 : 200));
    rx.setSecret(await t.register("team-a", "deploy", rx));
    await t.dispatcher().start();
    await t.submit();
    const d = await t.waitForDelivery("team-a", "deploy", (x) => x.state === "delivered");
    expect(d.attempts).toBe(3);
    expect(rx.received.map((r) => r.webhookId)).toEqual([d.id, d.id, d.id]);
    // The receiver deduplicates on webhook-id: one event.
    expect(new Set(rx.accepted().map((r) => r.webhookId)).size).toBe(1);
  });

  it("does not retry a 400: the delivery is dead-lettered after one attempt", async () => {
    const t = setup();
    const rx = await t.receiver(() => 400);
    rx.setSecret(await t.register("team-a", "deploy", rx));
    await t.dispatcher().start();
    await t.submit();
    const d = await t.waitForDelivery("team-a", "deploy", (x) => x.state === "dead");
    expect(d).toMatchObject({ attempts: 1, lastStatus: 400, responseExcerpt: "ok" });
    expect(d.lastError).toMatch(/400/);
    expect(rx.received).toHaveLength(1);
  });

  it("dead-letters a receiver that is down for every attempt, and redelivery completes it", async () => {
    const t = setup();
    const rx = await t.receiver(() => 500);
    rx.setSecret(await t.register("team-a", "deploy", rx));
    await t.dispatcher().start();
    await t.submit();
    const dead = await t.waitForDelivery("team-a", "deploy", (x) => x.state === "dead");
    expect(dead.attempts).toBe(4);
    expect(await t.deliveries.list("team-a", "deploy", { state: "dead" })).toHaveLength(1);
    rx.setRespond(() => 200);
    await t.deliveries.redeliver("team-a", dead.id);
    const done = await t.waitForDelivery("team-a", "deploy", (x) => x.state === "delivered");
    expect(done.id).toBe(dead.id);
    expect(rx.accepted().at(-1)?.webhookId).toBe(dead.id);
  });

  it("loses nothing when the dispatcher stops mid-attempt: another one delivers the same id", async () => {
    const t = setup();
    // Every request hangs until the first dispatcher is gone (it may re-claim its own expired lease meanwhile).
    let hang = true;
    const rx = await t.receiver(() => (hang ? "hang" : 200));
    rx.setSecret(await t.register("team-a", "deploy", rx));
    // A short lease so the abandoned attempt is due again soon.
    const first = t.dispatcher({ leaseMs: 300, stopGraceMs: 0, consumer: "a" });
    await first.start();
    await t.submit();
    await rx.waitFor(1);
    await first.stop();
    hang = false;
    const pending = await t.waitForDelivery("team-a", "deploy", (x) => x.state === "pending");
    await t.dispatcher({ leaseMs: 300, consumer: "b" }).start();
    const d = await t.waitForDelivery("team-a", "deploy", (x) => x.state === "delivered");
    expect(d.id).toBe(pending.id);
    expect(rx.received.length).toBeGreaterThanOrEqual(2);
    expect(new Set(rx.received.map((r) => r.webhookId))).toEqual(new Set([d.id]));
  });

  it("fans out events a stopped dispatcher read but never acknowledged", async () => {
    const t = setup();
    const rx = await t.receiver();
    rx.setSecret(await t.register("team-a", "deploy", rx));
    const first = t.dispatcher({ consumer: "a" });
    await first.start();
    await first.stop();
    const buildId = await t.submit();
    // The entry is read by "a" into its pending list, as if "a" crashed before acknowledging it.
    const conn = redis.connection();
    await conn.xreadgroup("GROUP", "webhooks", "a", "COUNT", 10, "STREAMS", keyspace(t.config.redis.prefix).events, ">");
    await t.dispatcher({ consumer: "b", claimIdleMs: 0 }).start();
    const d = await t.waitForDelivery("team-a", "deploy", (x) => x.state === "delivered");
    expect(d.buildId).toBe(buildId);
  });

  it("acknowledges an events stream entry that is not a valid event instead of stalling on it", async () => {
    const t = setup();
    const rx = await t.receiver();
    rx.setSecret(await t.register("team-a", "deploy", rx));
    await t.dispatcher().start();
    await redis.connection().xadd(keyspace(t.config.redis.prefix).events, "*", "buildId", "x", "event", "{not json");
    const buildId = await t.submit();
    const d = await t.waitForDelivery("team-a", "deploy", (x) => x.state === "delivered");
    expect(d.buildId).toBe(buildId);
  });

  it("delivers a tenant's events only to that tenant's webhooks, and honours the selector", async () => {
    const t = setup();
    const mine = await t.receiver();
    const theirs = await t.receiver();
    const other = await t.receiver();
    mine.setSecret(await t.register("team-a", "deploy", mine));
    theirs.setSecret(await t.register("team-b", "deploy", theirs));
    other.setSecret(await t.register("team-a", "search-only", other, { selector: { team: "search" } }));
    await t.dispatcher().start();
    const buildId = await t.submit("team-a");
    await t.waitForDelivery("team-a", "deploy", (x) => x.state === "delivered");
    expect(mine.accepted().map((r) => r.event?.subject)).toEqual([buildId]);
    // A build of team-b then arrives at team-b only, so team-a's event had its chance to arrive there.
    const theirBuild = await t.submit("team-b");
    await t.waitForDelivery("team-b", "deploy", (x) => x.state === "delivered");
    expect(theirs.accepted().map((r) => r.event?.subject)).toEqual([theirBuild]);
    expect(other.received).toHaveLength(0);
  });

  it("refuses at delivery a target that resolves to loopback unless the operator allows it", async () => {
    const t = setup({ BUILDFLEET_WEBHOOKS_ALLOWED_HOSTS: "" });
    const rx = await t.receiver();
    // Stored directly, as if registered while allowed or through DNS that changed since.
    await t.register("team-a", "deploy", rx.url.replace("127.0.0.1", "localhost"));
    await t.dispatcher().start();
    await t.submit();
    const d = await t.waitForDelivery("team-a", "deploy", (x) => x.state === "dead");
    expect(d.lastError).toMatch(/loopback, private or link-local/);
    expect(rx.received).toHaveLength(0);
  });

  it("signs with both secrets during a rotation's grace period", async () => {
    const t = setup();
    const oldRx = await t.receiver();
    const oldSecret = await t.register("team-a", "deploy", oldRx);
    oldRx.setSecret(oldSecret);
    const { secret: newSecret } = await t.webhooks.rotateSecret("team-a", "deploy", 3600);
    await t.dispatcher().start();
    await t.submit();
    await t.waitForDelivery("team-a", "deploy", (x) => x.state === "delivered");
    expect(oldRx.accepted()).toHaveLength(1);
    // The same request verifies with the new secret too.
    const { Webhook } = await import("standardwebhooks");
    const headers = oldRx.received[0]?.headers as Record<string, string>;
    expect(headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect(newSecret).not.toBe(oldSecret);
    expect(() => new Webhook(newSecret).verify(oldRx.received[0]?.body ?? "", headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify("tampered", headers)).toThrow();
  });

  it("delivers rebuild.* events to the webhooks that ask for them, in the wave's order, and builds' events as before", async () => {
    const t = setup();
    const rx = await t.receiver();
    const builds = await t.receiver();
    const other = await t.receiver();
    rx.setSecret(await t.register("team-a", "waves", rx, { events: ["rebuild.*"] }));
    builds.setSecret(await t.register("team-a", "builds", builds, { events: ["build.queued"] }));
    other.setSecret(await t.register("team-b", "waves", other, { events: ["rebuild.*"] }));
    await t.dispatcher().start();

    // An empty tenant wave: rebuild.started then rebuild.succeeded, written as the wave store writes them.
    const now = new Date().toISOString();
    const doc: WaveDoc = {
      id: newWaveId(),
      startedBy: "team-a",
      scope: "tenant",
      tenant: "team-a",
      trigger: { base: "docker.io/library/alpine:3.20" },
      priority: "bulk",
      createdAt: now,
      updatedAt: now,
      finishedAt: now,
      state: "succeeded",
      version: 0,
      plan: { levels: [], nodes: [], warnings: [] },
      wave: { options: { maxInFlight: 10, onFailure: "skip-dependents" }, nodes: [], index: {}, cancelRequested: false },
      builds: {},
      eventSeq: 0,
    };
    await new WaveStore(redis.connection(), keyspace(t.config.redis.prefix)).save(doc, [], waveEvents(undefined, doc, []));
    const buildId = await t.submit();

    await t.waitForDelivery("team-a", "builds", (x) => x.state === "delivered" && x.buildId === buildId);
    await t.waitForDelivery("team-a", "waves", (x) => x.state === "delivered" && x.eventType === "rebuild.succeeded");
    expect(rx.accepted().map((r) => r.event)).toMatchObject([
      { type: "rebuild.started", subject: doc.id, sequence: 1, data: { waveId: doc.id, tenants: ["team-a"] } },
      { type: "rebuild.succeeded", subject: doc.id, sequence: 2 },
    ]);
    expect(builds.accepted().map((r) => (r.event as { type: string }).type)).toEqual(["build.queued"]);
    expect(await t.deliveries.list("team-b", "waves")).toEqual([]);
  });
});
