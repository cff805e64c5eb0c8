import { z } from "zod";
import { BUILD_EVENT_TYPES } from "./build-event.js";
import { Tenant, Timestamp } from "./build-record.js";

/**
 * The webhook contract: what a tenant registers (PUT /v1/webhooks/:name), what the
 * API answers, and a delivery as the log lists it. Kept in this feature folder so
 * it can move into the contract package whole.
 */

/** A webhook name is a DNS-1123 label: it appears in URLs and CLI arguments as is. */
export const WebhookName = z
  .string()
  .max(63, { error: "expected at most 63 characters" })
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
    error: "expected lowercase letters, digits and '-', starting and ending with a letter or digit (example: deploy-hook)",
  });
export type WebhookName = z.infer<typeof WebhookName>;

/**
 * `build.succeeded` (one type), `build.*` / `rebuild.*` (a family) or `*` (everything).
 * Rebuild types are accepted by family and name so a webhook can subscribe before
 * the wave coordinator publishes them.
 */
export const EventPattern = z
  .string()
  .max(64)
  .refine((p) => p === "*" || p === "build.*" || p === "rebuild.*" || (BUILD_EVENT_TYPES as readonly string[]).includes(p) || /^rebuild\.[a-z]+(\.[a-z]+)*$/.test(p), {
    error: `expected an event type (${BUILD_EVENT_TYPES.join(", ")}, rebuild.<name>), a family (build.*, rebuild.*) or *`,
  });
export type EventPattern = z.infer<typeof EventPattern>;

export const DeliveryMode = z.enum(["structured", "binary"], { error: "expected structured or binary" });
export type DeliveryMode = z.infer<typeof DeliveryMode>;

/** The body of PUT /v1/webhooks/:name. */
export const WebhookSpec = z.strictObject({
  url: z
    .string()
    .max(2048, { error: "expected at most 2048 characters" })
    .refine((u) => URL.canParse(u), { error: "expected an absolute URL (example: https://deploy.example.com/hooks/buildfleet)" }),
  events: z.array(EventPattern).min(1, { error: "give at least one event type, e.g. build.succeeded" }).max(32),
  /** Only builds carrying every one of these labels (key → value). */
  selector: z.record(z.string().min(1).max(317), z.string().max(63)).optional(),
  /** CloudEvents HTTP binding mode: structured (the event as the JSON body) or binary (ce-* headers, data as body). */
  mode: DeliveryMode.default("structured"),
});
export type WebhookSpec = z.infer<typeof WebhookSpec>;

/** Body of POST /v1/webhooks/:name/rotate-secret. */
export const RotateSecretRequest = z.strictObject({
  /** How long the previous secret still signs alongside the new one (receivers verify with either). */
  graceSeconds: z.number().int().min(0).max(7 * 24 * 3600).default(24 * 3600),
});
export type RotateSecretRequest = z.infer<typeof RotateSecretRequest>;

/** A webhook as the API serves it: never with its secret, except once (see WebhookWithSecret). */
export const WebhookView = z.strictObject({
  name: WebhookName,
  tenant: Tenant,
  url: z.string(),
  events: z.array(z.string()),
  selector: z.record(z.string(), z.string()).optional(),
  mode: DeliveryMode,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** Until when the previous secret still signs (after a rotation). */
  previousSecretExpiresAt: Timestamp.optional(),
});
export type WebhookView = z.infer<typeof WebhookView>;

/** The answer to a create or a rotation: the only time the signing secret is shown. */
export const WebhookWithSecret = z.strictObject({ webhook: WebhookView, secret: z.string().optional() });
export type WebhookWithSecret = z.infer<typeof WebhookWithSecret>;

export const WebhookList = z.strictObject({ webhooks: z.array(WebhookView) });
export type WebhookList = z.infer<typeof WebhookList>;

export const DELIVERY_STATES = ["pending", "delivered", "dead"] as const;
export const DeliveryState = z.enum(DELIVERY_STATES);
export type DeliveryState = z.infer<typeof DeliveryState>;

/** One event to one webhook. `id` is the `webhook-id` header: the same on every attempt. */
export const DeliveryView = z.strictObject({
  id: z.string(),
  webhook: WebhookName,
  eventId: z.string(),
  eventType: z.string(),
  buildId: z.string(),
  state: DeliveryState,
  attempts: z.number().int().min(0),
  createdAt: Timestamp,
  nextAttemptAt: Timestamp.optional(),
  finishedAt: Timestamp.optional(),
  /** HTTP status of the last attempt, when it got one. */
  lastStatus: z.number().int().optional(),
  /** Why the last attempt failed (connection error, timeout, status). */
  lastError: z.string().optional(),
  /** At most the first 1 KiB of the last response body. */
  responseExcerpt: z.string().optional(),
});
export type DeliveryView = z.infer<typeof DeliveryView>;

export const DeliveryList = z.strictObject({ deliveries: z.array(DeliveryView) });
export type DeliveryList = z.infer<typeof DeliveryList>;

/** Whether a webhook subscribed with `patterns` wants an event of `type`. Pure. */
export function eventMatches(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => p === "*" || p === type || (p.endsWith(".*") && type.startsWith(p.slice(0, -1))));
}

/** Whether a build with `labels` is selected by `selector` (every pair must match; none = all). Pure. */
export function selectorMatches(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (selector === undefined) return true;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
