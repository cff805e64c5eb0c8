import type { DeliveryList, DeliveryState, DeliveryView, DeliveryMode, WebhookList, WebhookSpec, WebhookView, WebhookWithSecret } from "@buildfleet/contract";
import type { Http } from "../client/http.js";

/**
 * `client.webhooks`: the tenant's webhooks and their delivery log. Type-only
 * imports from @buildfleet/contract (see client/types.ts).
 */

export type { DeliveryList, DeliveryState, DeliveryView, DeliveryMode, WebhookList, WebhookView, WebhookWithSecret };

/** The body of an apply: `mode` defaults to structured. */
export type WebhookSpecInput = Omit<WebhookSpec, "mode"> & { mode?: DeliveryMode };

interface Signal {
  signal?: AbortSignal;
}

const path = (name: string): string => `/v1/webhooks/${encodeURIComponent(name)}`;

export class WebhooksApi {
  constructor(private readonly http: Http) {}

  /**
   * Creates or updates a webhook. On create (`created: true`) the answer holds the
   * signing secret: the only time the API shows it — store it in the receiver now.
   */
  async apply(name: string, spec: WebhookSpecInput, options: Signal = {}): Promise<WebhookWithSecret & { created: boolean }> {
    const res = await this.http.json<WebhookWithSecret>(path(name), { method: "PUT", body: spec, signal: options.signal });
    return { ...res.body, created: res.status === 201 };
  }

  async list(options: Signal = {}): Promise<WebhookView[]> {
    return (await this.http.json<WebhookList>("/v1/webhooks", { signal: options.signal })).body.webhooks;
  }

  async get(name: string, options: Signal = {}): Promise<WebhookView> {
    return (await this.http.json<WebhookView>(path(name), { signal: options.signal })).body;
  }

  async delete(name: string, options: Signal = {}): Promise<void> {
    await this.http.call(path(name), { method: "DELETE", signal: options.signal });
  }

  /** A new secret (shown once); the previous one keeps signing for `graceSeconds` (default a day). */
  async rotateSecret(name: string, options: Signal & { graceSeconds?: number } = {}): Promise<WebhookWithSecret> {
    const body = options.graceSeconds === undefined ? {} : { graceSeconds: options.graceSeconds };
    return (await this.http.json<WebhookWithSecret>(`${path(name)}/rotate-secret`, { method: "POST", body, signal: options.signal })).body;
  }

  /** The webhook's deliveries, newest first; `state: "dead"` lists the dead letters. */
  async deliveries(name: string, options: Signal & { state?: DeliveryState; limit?: number } = {}): Promise<DeliveryView[]> {
    const query = new URLSearchParams();
    if (options.state !== undefined) query.set("state", options.state);
    if (options.limit !== undefined) query.set("limit", String(options.limit));
    return (await this.http.json<DeliveryList>(`${path(name)}/deliveries`, { query, signal: options.signal })).body.deliveries;
  }

  /** Sends an ended delivery again, with the same webhook-id (receivers that saw it deduplicate). */
  async redeliver(id: string, options: Signal = {}): Promise<DeliveryView> {
    return (await this.http.json<DeliveryView>(`/v1/webhook-deliveries/${encodeURIComponent(id)}/redeliver`, { method: "POST", signal: options.signal })).body;
  }
}
