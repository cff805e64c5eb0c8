import { keyspace } from "../redis/keyspace.js";

/**
 * Webhook keys, under the one buildfleet prefix (so in its hash slot: the delivery
 * scripts touch several of them at once). Tenants are encoded so no tenant name can
 * collide with another's keys.
 */
export interface WebhookKeys {
  /** Hash: one webhook. */
  webhook(tenant: string, name: string): string;
  /** Set: a tenant's webhook names. */
  tenantWebhooks(tenant: string): string;
  /** Set: tenants with at least one webhook (fan-out skips a whole batch when it is empty). */
  readonly tenants: string;
  /** Hash: one delivery (state, attempts, the event). */
  delivery(id: string): string;
  /** Sorted set: delivery id → when it is due (or until when its current attempt holds it). */
  readonly due: string;
  /** Sorted set: a webhook's deliveries by creation time (the delivery log). */
  deliveryLog(tenant: string, name: string): string;
  /** Sorted set: one build's undelivered events to one webhook by sequence; only the lowest is due. */
  chain(webhookUid: string, buildId: string): string;
  /** Consumer group on the events stream that fans events out to webhooks. */
  readonly group: string;
}

export function webhookKeys(prefix: string): WebhookKeys {
  const p = keyspace(prefix).bullPrefix;
  const t = encodeURIComponent;
  return {
    webhook: (tenant, name) => `${p}:webhook:${t(tenant)}:${name}`,
    tenantWebhooks: (tenant) => `${p}:webhooks:${t(tenant)}`,
    tenants: `${p}:webhooks:tenants`,
    delivery: (id) => `${p}:whdelivery:${id}`,
    due: `${p}:whdeliveries:due`,
    deliveryLog: (tenant, name) => `${p}:whdeliveries:log:${t(tenant)}:${name}`,
    chain: (uid, buildId) => `${p}:whdeliveries:chain:${uid}:${buildId}`,
    group: "webhooks",
  };
}
