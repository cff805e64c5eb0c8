export { webhookKeys } from "./keys.js";
export type { WebhookKeys } from "./keys.js";
export { WebhookStore, generateWebhookSecret } from "./webhook-store.js";
export type { StoredWebhook } from "./webhook-store.js";
export {
  DeliveryStore,
  deliveryId,
  toDeliveryView,
  DELIVERY_RETENTION_SECONDS,
  DELIVERY_LOG_CAP,
  RESPONSE_EXCERPT_BYTES,
} from "./delivery-store.js";
export type { NewDelivery, DeliveryRecord, AttemptInfo } from "./delivery-store.js";
export { DEFAULT_TARGET_POLICY, targetHost, targetUrlProblem, targetAddressProblem } from "./target.js";
export type { TargetPolicy } from "./target.js";
