import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { TOKENS, logSink, startHarness } from "../test-support/harness.js";

// IP literals need no DNS: 93.184.216.34 is public, 127.0.0.1 loopback, 169.254.169.254 metadata.
const PUBLIC = "https://93.184.216.34/hooks/buildfleet";
const SPEC = { url: PUBLIC, events: ["build.succeeded", "build.failed"] };

describe("/v1/webhooks", () => {
  const redis = useRedis();

  it("creates a webhook showing its secret once, then updates it without showing it again", async () => {
    const h = await startHarness(redis);
    const created = await h.inject(TOKENS.teamA, { method: "PUT", url: "/v1/webhooks/deploy", payload: SPEC });
    expect(created.statusCode).toBe(201);
    const body = created.json<{ webhook: { name: string; mode: string }; secret: string }>();
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(body.webhook).toMatchObject({ name: "deploy", tenant: "team-a", mode: "structured", url: PUBLIC });

    const updated = await h.inject(TOKENS.teamA, { method: "PUT", url: "/v1/webhooks/deploy", payload: { ...SPEC, mode: "binary", selector: { team: "payments" } } });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).not.toHaveProperty("secret");
    const got = await h.inject(TOKENS.readOnly, { method: "GET", url: "/v1/webhooks/deploy" });
    expect(got.json()).toMatchObject({ mode: "binary", selector: { team: "payments" } });
    expect(got.body).not.toContain(body.secret);
    const list = await h.inject(TOKENS.readOnly, { method: "GET", url: "/v1/webhooks" });
    expect(list.json<{ webhooks: { name: string }[] }>().webhooks.map((w) => w.name)).toEqual(["deploy"]);
  });

  it("keeps tenants apart: another tenant neither sees, changes, deletes nor redelivers a webhook", async () => {
    const h = await startHarness(redis);
    await h.inject(TOKENS.teamA, { method: "PUT", url: "/v1/webhooks/deploy", payload: SPEC });
    expect((await h.inject(TOKENS.teamB, { method: "GET", url: "/v1/webhooks/deploy" })).statusCode).toBe(404);
    expect((await h.inject(TOKENS.teamB, { method: "GET", url: "/v1/webhooks" })).json()).toEqual({ webhooks: [] });
    expect((await h.inject(TOKENS.teamB, { method: "DELETE", url: "/v1/webhooks/deploy" })).statusCode).toBe(404);
    expect((await h.inject(TOKENS.teamB, { method: "GET", url: "/v1/webhooks/deploy/deliveries" })).statusCode).toBe(404);
    // team-b's own "deploy" is a different webhook with its own secret.
    const theirs = await h.inject(TOKENS.teamB, { method: "PUT", url: "/v1/webhooks/deploy", payload: SPEC });
    expect(theirs.statusCode).toBe(201);
    expect((await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/webhooks/deploy" })).json()).toMatchObject({ tenant: "team-a" });
    const redeliver = await h.inject(TOKENS.teamB, { method: "POST", url: `/v1/webhook-deliveries/msg_${"0".repeat(32)}/redeliver` });
    expect(redeliver.statusCode).toBe(404);
  });

  it("refuses loopback, private, metadata and plain-http targets naming the url field", async () => {
    const h = await startHarness(redis);
    for (const url of ["https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://169.254.169.254/latest/meta-data", "https://[::1]/hook", "http://93.184.216.34/hook", "https://user:pw@93.184.216.34/"]) {
      const res = await h.inject(TOKENS.teamA, { method: "PUT", url: "/v1/webhooks/bad", payload: { ...SPEC, url } });
      expect(res.statusCode, url).toBe(400);
      expect(res.json<{ error: { issues: { path: string }[] } }>().error.issues[0]?.path, url).toBe("url");
    }
    expect((await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/webhooks" })).json()).toEqual({ webhooks: [] });
  });

  it("admits loopback and http only when the operator allows them, and never the metadata address", async () => {
    const h = await startHarness(redis, { env: { BUILDFLEET_WEBHOOKS_ALLOW_HTTP: "true", BUILDFLEET_WEBHOOKS_ALLOWED_HOSTS: "127.0.0.1,169.254.169.254" } });
    const ok = await h.inject(TOKENS.teamA, { method: "PUT", url: "/v1/webhooks/local", payload: { ...SPEC, url: "http://127.0.0.1:9999/hook" } });
    expect(ok.statusCode).toBe(201);
    const metadata = await h.inject(TOKENS.teamA, { method: "PUT", url: "/v1/webhooks/meta", payload: { ...SPEC, url: "http://169.254.169.254/" } });
    expect(metadata.statusCode).toBe(400);
  });

  it("names the bad field of a spec and of the webhook name", async () => {
    const h = await startHarness(redis);
    const badEvents = await h.inject(TOKENS.teamA, { method: "PUT", url: "/v1/webhooks/deploy", payload: { url: PUBLIC, events: ["build.exploded"] } });
    expect(badEvents.statusCode).toBe(400);
    expect(badEvents.json<{ error: { issues: { path: string }[] } }>().error.issues[0]?.path).toBe("events[0]");
    const badName = await h.inject(TOKENS.teamA, { method: "PUT", url: "/v1/webhooks/Not_A_Name", payload: SPEC });
    expect(badName.json<{ error: { issues: { path: string }[] } }>().error.issues[0]?.path).toBe("name");
    const readOnly = await h.inject(TOKENS.readOnly, { method: "PUT", url: "/v1/webhooks/deploy", payload: SPEC });
    expect(readOnly.statusCode).toBe(403);
  });

  it("rotates the secret with a grace period, shows the new one once, and deletes", async () => {
    const h = await startHarness(redis);
    const first = (await h.inject(TOKENS.teamA, { method: "PUT", url: "/v1/webhooks/deploy", payload: SPEC })).json<{ secret: string }>().secret;
    const rotated = await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/webhooks/deploy/rotate-secret", payload: { graceSeconds: 3600 } });
    expect(rotated.statusCode).toBe(200);
    const body = rotated.json<{ secret: string; webhook: { previousSecretExpiresAt?: string } }>();
    expect(body.secret).not.toBe(first);
    expect(Date.parse(body.webhook.previousSecretExpiresAt ?? "")).toBeGreaterThan(Date.now());
    expect((await h.inject(TOKENS.teamA, { method: "DELETE", url: "/v1/webhooks/deploy" })).statusCode).toBe(204);
    expect((await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/webhooks/deploy" })).statusCode).toBe(404);
  });

  it("never writes a signing secret to the log", async () => {
    const sink = logSink();
    const h = await startHarness(redis, { env: { LOG_LEVEL: "trace" }, logDestination: sink.stream });
    const { secret } = (await h.inject(TOKENS.teamA, { method: "PUT", url: "/v1/webhooks/deploy", payload: SPEC })).json<{ secret: string }>();
    const rotated = (await h.inject(TOKENS.teamA, { method: "POST", url: "/v1/webhooks/deploy/rotate-secret", payload: {} })).json<{ secret: string }>();
    expect(sink.lines().some((l) => l["msg"] === "webhook saved")).toBe(true);
    expect(sink.text()).not.toContain(secret.slice("whsec_".length));
    expect(sink.text()).not.toContain(rotated.secret.slice("whsec_".length));
  });
});
