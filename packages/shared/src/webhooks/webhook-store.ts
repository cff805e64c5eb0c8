import { randomBytes, randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { NotFoundError } from "../errors/index.js";
import { webhookKeys, type WebhookKeys } from "./keys.js";
import { DeliveryMode, WebhookView, type WebhookSpec } from "./schemas.js";

/**
 * Webhooks in Redis: one hash per (tenant, name) and a set of names per tenant.
 * The signing secret is stored (the worker must sign with it) but only returned
 * by `secretsOf`, which the API never calls: it leaves the API once, in the answer
 * to the create or the rotation that made it.
 */

/** What the dispatcher needs to deliver: the view plus the identity and the secrets. */
export interface StoredWebhook {
  view: WebhookView;
  /** New on every create: a webhook deleted and made again does not inherit old deliveries. */
  uid: string;
  /** Every secret that signs now: the current one first, then the previous one within its grace. */
  secrets: string[];
}

const Stored = z.object({
  tenant: z.string(),
  name: z.string(),
  uid: z.string(),
  url: z.string(),
  events: z.string(),
  selector: z.string().optional(),
  mode: DeliveryMode,
  secret: z.string(),
  previousSecret: z.string().optional(),
  previousSecretExpiresAt: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
type Stored = z.infer<typeof Stored>;

/** `whsec_` + base64 of 32 random bytes: the format the standardwebhooks libraries take as is. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

export class WebhookStore {
  readonly keys: WebhookKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.keys = webhookKeys(prefix);
  }

  /** Creates or updates; on create the new secret is returned (and never again). */
  async put(tenant: string, name: string, spec: WebhookSpec): Promise<{ webhook: WebhookView; secret?: string; created: boolean }> {
    const key = this.keys.webhook(tenant, name);
    const now = this.now().toISOString();
    const fields = {
      url: spec.url,
      events: JSON.stringify(spec.events),
      mode: spec.mode,
      updatedAt: now,
    };
    const secret = generateWebhookSecret();
    // HSETNX on uid decides create vs update atomically: two concurrent creates make one webhook.
    const tx = this.redis
      .multi()
      .hsetnx(key, "uid", randomUUID())
      .hsetnx(key, "secret", secret)
      .hsetnx(key, "createdAt", now)
      .hset(key, { ...fields, tenant, name })
      .hdel(key, "selector");
    if (spec.selector !== undefined) tx.hset(key, { selector: JSON.stringify(spec.selector) });
    const results = await tx.sadd(this.keys.tenantWebhooks(tenant), name).sadd(this.keys.tenants, tenant).exec();
    const created = results?.[0]?.[1] === 1;
    const stored = await this.read(tenant, name);
    if (!stored) throw new NotFoundError(`webhook ${name} vanished while it was written`);
    return created ? { webhook: toView(stored), secret, created } : { webhook: toView(stored), created };
  }

  /** Whether any tenant has a webhook: one cheap read that lets fan-out skip a batch of events. */
  async anyWebhooks(): Promise<boolean> {
    return (await this.redis.scard(this.keys.tenants)) > 0;
  }

  async get(tenant: string, name: string): Promise<WebhookView | undefined> {
    const stored = await this.read(tenant, name);
    return stored && toView(stored);
  }

  /** The tenant's webhooks, by name. */
  async list(tenant: string): Promise<StoredWebhook[]> {
    const names = (await this.redis.smembers(this.keys.tenantWebhooks(tenant))).sort();
    const found = await Promise.all(names.map((n) => this.read(tenant, n)));
    return found.filter((s): s is Stored => s !== undefined).map((s) => this.toStoredWebhook(s));
  }

  /** With its signing secrets: for the dispatcher only. */
  async secretsOf(tenant: string, name: string): Promise<StoredWebhook | undefined> {
    const stored = await this.read(tenant, name);
    return stored && this.toStoredWebhook(stored);
  }

  async delete(tenant: string, name: string): Promise<boolean> {
    const [deleted] = (await this.redis
      .multi()
      .del(this.keys.webhook(tenant, name))
      .srem(this.keys.tenantWebhooks(tenant), name)
      .del(this.keys.deliveryLog(tenant, name))
      .exec()) ?? [];
    // A concurrent put may add a name between these two calls; it re-adds the tenant itself.
    if ((await this.redis.scard(this.keys.tenantWebhooks(tenant))) === 0) await this.redis.srem(this.keys.tenants, tenant);
    return deleted?.[1] === 1;
  }

  /** A new secret; the current one keeps signing for `graceSeconds` so receivers can switch over. */
  async rotateSecret(tenant: string, name: string, graceSeconds: number): Promise<{ webhook: WebhookView; secret: string }> {
    const stored = await this.read(tenant, name);
    if (!stored) throw new NotFoundError(`no webhook ${name} for tenant ${tenant}`);
    const secret = generateWebhookSecret();
    const now = this.now();
    const key = this.keys.webhook(tenant, name);
    const tx = this.redis.multi().hset(key, { secret, updatedAt: now.toISOString() });
    if (graceSeconds > 0) {
      tx.hset(key, { previousSecret: stored.secret, previousSecretExpiresAt: new Date(now.getTime() + graceSeconds * 1000).toISOString() });
    } else tx.hdel(key, "previousSecret", "previousSecretExpiresAt");
    await tx.exec();
    const updated = await this.read(tenant, name);
    if (!updated) throw new NotFoundError(`no webhook ${name} for tenant ${tenant}`);
    return { webhook: toView(updated), secret };
  }

  private async read(tenant: string, name: string): Promise<Stored | undefined> {
    const raw = await this.redis.hgetall(this.keys.webhook(tenant, name));
    if (raw.uid === undefined || raw.url === undefined) return undefined;
    return Stored.parse(raw);
  }

  private toStoredWebhook(s: Stored): StoredWebhook {
    const secrets = [s.secret];
    if (s.previousSecret !== undefined && s.previousSecretExpiresAt !== undefined && Date.parse(s.previousSecretExpiresAt) > this.now().getTime()) {
      secrets.push(s.previousSecret);
    }
    return { view: toView(s, this.now()), uid: s.uid, secrets };
  }
}

function toView(s: Stored, now = new Date()): WebhookView {
  const graceLeft = s.previousSecretExpiresAt !== undefined && Date.parse(s.previousSecretExpiresAt) > now.getTime();
  return WebhookView.parse({
    name: s.name,
    tenant: s.tenant,
    url: s.url,
    events: JSON.parse(s.events) as unknown,
    ...(s.selector !== undefined ? { selector: JSON.parse(s.selector) as unknown } : {}),
    mode: s.mode,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    ...(graceLeft ? { previousSecretExpiresAt: s.previousSecretExpiresAt } : {}),
  });
}
