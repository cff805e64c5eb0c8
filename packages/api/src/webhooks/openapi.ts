import { DeliveryList, DeliveryView, RotateSecretRequest, WebhookList, WebhookSpec, WebhookView, WebhookWithSecret } from "@buildfleet/contract";
import type { z } from "zod";
import type { Operation } from "../ops/openapi.js";

/** The webhook routes in the OpenAPI document (ops/openapi.ts renders them with the others). */

export const WEBHOOK_SCHEMAS: Record<string, { schema: z.ZodType; io: "input" | "output" }> = {
  WebhookSpec: { schema: WebhookSpec, io: "input" },
  RotateSecretRequest: { schema: RotateSecretRequest, io: "input" },
  WebhookView: { schema: WebhookView, io: "output" },
  WebhookWithSecret: { schema: WebhookWithSecret, io: "output" },
  WebhookList: { schema: WebhookList, io: "output" },
  DeliveryView: { schema: DeliveryView, io: "output" },
  DeliveryList: { schema: DeliveryList, io: "output" },
};

const name = { name: "name", in: "path" as const, schema: { type: "string" }, description: "webhook name" };

export const WEBHOOK_OPERATIONS: Operation[] = [
  {
    method: "put", path: "/v1/webhooks/{name}", summary: "Create or update a webhook (the answer to a create holds the signing secret, once)", scope: "submit", body: "WebhookSpec", parameters: [name],
    ok: [{ status: 201, schema: "WebhookWithSecret", description: "created, with its secret" }, { status: 200, schema: "WebhookWithSecret", description: "updated (no secret)" }],
    errors: [400, 401, 403, 429],
  },
  { method: "get", path: "/v1/webhooks", summary: "The tenant's webhooks", scope: "read", ok: [{ status: 200, schema: "WebhookList", description: "webhooks" }], errors: [401, 403, 429] },
  { method: "get", path: "/v1/webhooks/{name}", summary: "A webhook (never its secret)", scope: "read", parameters: [name], ok: [{ status: 200, schema: "WebhookView", description: "the webhook" }], errors: [401, 403, 404, 429] },
  { method: "delete", path: "/v1/webhooks/{name}", summary: "Delete a webhook", scope: "submit", parameters: [name], ok: [{ status: 204, description: "deleted" }], errors: [401, 403, 404, 429] },
  {
    method: "post", path: "/v1/webhooks/{name}/rotate-secret", summary: "New signing secret; the previous one signs too for graceSeconds", scope: "submit", body: "RotateSecretRequest", parameters: [name],
    ok: [{ status: 200, schema: "WebhookWithSecret", description: "the new secret, once" }], errors: [400, 401, 403, 404, 429],
  },
  {
    method: "get", path: "/v1/webhooks/{name}/deliveries", summary: "The webhook's deliveries, newest first", scope: "read",
    parameters: [name, { name: "state", in: "query", schema: { type: "string", enum: ["pending", "delivered", "dead"] }, description: "only this state" }, { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000 }, description: "at most" }],
    ok: [{ status: 200, schema: "DeliveryList", description: "deliveries" }], errors: [400, 401, 403, 404, 429],
  },
  {
    method: "post", path: "/v1/webhook-deliveries/{id}/redeliver", summary: "Send an ended delivery again (same webhook-id)", scope: "submit",
    parameters: [{ name: "id", in: "path", schema: { type: "string" }, description: "delivery id (msg_…)" }],
    ok: [{ status: 202, schema: "DeliveryView", description: "queued again" }], errors: [400, 401, 403, 404, 429],
  },
];
