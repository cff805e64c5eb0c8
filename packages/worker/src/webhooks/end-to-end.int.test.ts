import { DeliveryStore, WebhookStore } from "@buildfleet/shared";
import { startWebhookReceiver, useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { mirrorRequest, startStack } from "../test-support/stack.js";

describe("webhooks through the worker service", () => {
  const redis = useRedis();

  it("delivers a build's events on kubesim to a receiver, signed and in sequence order", async () => {
    const stack = await startStack(redis, {
      // A transient failure on a loaded machine retries in milliseconds, not the default 10 s.
      env: { BUILDFLEET_WEBHOOKS_ALLOW_HTTP: "true", BUILDFLEET_WEBHOOKS_ALLOWED_HOSTS: "127.0.0.1", WEBHOOK_BACKOFF_BASE_MS: "50", WEBHOOK_BACKOFF_MAX_MS: "200" },
      kubesim: { defaultRunMs: 2_000 },
    });
    const conn = redis.connection();
    const webhooks = new WebhookStore(conn, stack.config.redis.prefix);
    const rx = redis.track(await startWebhookReceiver({ secret: "whsec_" + Buffer.alloc(32).toString("base64") }));
    const { secret } = await webhooks.put("team-a", "deploy", { url: rx.url, events: ["build.*"], mode: "structured" });
    rx.setSecret(secret ?? "");
    await stack.startWorker();
    const record = await stack.submit(mirrorRequest());
    await stack.waitForTerminal(record.id);
    const deliveries = new DeliveryStore(conn, stack.config.redis.prefix);
    const until = Date.now() + 30_000;
    while ((await deliveries.list("team-a", "deploy")).some((d) => d.state !== "delivered") || rx.accepted().length < 4) {
      if (Date.now() > until) throw new Error(`deliveries not done: ${JSON.stringify(await deliveries.list("team-a", "deploy"))}; received ${JSON.stringify(rx.received.map((r) => [r.webhookId, r.verified, r.event?.type]))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const types = rx.accepted().map((r) => r.event?.type);
    expect(types[0]).toBe("build.queued");
    expect(types.at(-1)).toBe("build.succeeded");
    const sequences = rx.accepted().map((r) => Number(r.event?.["sequence"]));
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(rx.received.every((r) => r.verified)).toBe(true);
  });
});
