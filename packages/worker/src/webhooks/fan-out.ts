import { type BuildStore, type DeliveryStore, type StreamEntry, type WebhookStore } from "@buildfleet/shared";
import { eventMatches, selectorMatches } from "@buildfleet/contract";

/**
 * Turns one event-stream entry into one delivery per webhook of the build's tenant
 * that subscribed to the event's type and selects the build's labels. Idempotent:
 * delivery ids derive from (webhook, event), so an entry read again after a crash
 * (not yet acknowledged) creates nothing twice. Returns how many were new.
 */
export async function fanOut(
  entry: StreamEntry,
  deps: { store: Pick<BuildStore, "get">; webhooks: Pick<WebhookStore, "list">; deliveries: Pick<DeliveryStore, "enqueue"> },
): Promise<number> {
  const record = await deps.store.get(entry.buildId);
  // A build discarded after its event (a failed submit) has no tenant to deliver to.
  if (!record) return 0;
  const targets = (await deps.webhooks.list(record.tenant)).filter(
    (w) => eventMatches(w.view.events, entry.event.type) && selectorMatches(w.view.selector, record.labels),
  );
  let created = 0;
  for (const w of targets) {
    const result = await deps.deliveries.enqueue({
      tenant: record.tenant,
      webhook: w.view.name,
      webhookUid: w.uid,
      eventId: entry.event.id,
      eventType: entry.event.type,
      buildId: entry.buildId,
      sequence: entry.event.sequence,
      event: JSON.stringify(entry.event),
    });
    if (result.created) created += 1;
  }
  return created;
}
