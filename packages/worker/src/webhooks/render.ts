import { CloudEvent, HTTP } from "cloudevents";
import type { DeliveryMode } from "@buildfleet/contract";
import { Webhook } from "standardwebhooks";

/**
 * The HTTP request of one delivery attempt: the event per the CloudEvents HTTP
 * binding (structured: the whole event as `application/cloudevents+json`; binary:
 * attributes as `ce-*` headers, the data as the body) and Standard Webhooks
 * signature headers over exactly that body. `webhook-id` is the delivery id (the
 * same on every attempt, so receivers deduplicate); `webhook-timestamp` is the
 * attempt's time. During a secret rotation the body is signed with each secret,
 * space-separated, and a receiver holding either verifies.
 */

export interface RenderedRequest {
  headers: Record<string, string>;
  body: string;
}

export function renderDelivery(input: { deliveryId: string; event: string; mode: DeliveryMode; secrets: readonly string[]; now: Date }): RenderedRequest {
  // The event was validated when it was published; strict = false keeps the SDK from re-validating with ajv on every attempt.
  const event = new CloudEvent(JSON.parse(input.event) as Record<string, unknown>, false);
  const message = input.mode === "binary" ? HTTP.binary(event) : HTTP.structured(event);
  const body = typeof message.body === "string" ? message.body : JSON.stringify(message.body);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers)) if (v !== undefined) headers[k.toLowerCase()] = String(v);
  const signatures = input.secrets.map((secret) => new Webhook(secret).sign(input.deliveryId, input.now, body));
  headers["webhook-id"] = input.deliveryId;
  headers["webhook-timestamp"] = String(Math.floor(input.now.getTime() / 1000));
  headers["webhook-signature"] = signatures.join(" ");
  headers["user-agent"] = "buildfleet-webhooks/1";
  return { headers, body };
}
