// The webhook documents cross the HTTP API (PUT/GET /v1/webhooks…): their schemas live in @buildfleet/contract.
export {
  WebhookName,
  EventPattern,
  DeliveryMode,
  WebhookSpec,
  RotateSecretRequest,
  WebhookView,
  WebhookWithSecret,
  WebhookList,
  DELIVERY_STATES,
  DeliveryState,
  DeliveryView,
  DeliveryList,
  eventMatches,
  selectorMatches,
} from "@buildfleet/contract";
