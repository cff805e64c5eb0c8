import { type BuildStore, type DeliveryStore, type StreamEntry, type WebhookStore } from "@buildfleet/shared";
import { eventMatches, selectorMatches } from "@buildfleet/contract";

/**
 * Turns one event-stream entry into one delivery per webhook of the build's tenant
 * that subscribed to the event's type and selects the build's labels (a rebuild
 * wave's event: per webhook of each tenant it names, see targetsOf). Idempotent:
 * delivery ids derive from (webhook, event), so an entry read again after a crash
 * (not yet acknowledged) creates nothing twice. Returns how many were new.
 */
export async function fanOut(
  entry: StreamEntry,
  deps: { store: Pick<BuildStore, "get">; webhooks: Pick<WebhookStore, "list">; deliveries: Pick<DeliveryStore, "enqueue"> },
): Promise<number> {
  const targets = await targetsOf(entry, deps);
  let created = 0;
  for (const { tenant, webhook: w } of targets) {
    const result = await deps.deliveries.enqueue({
      tenant,
      webhook: w.view.name,
      webhookUid: w.uid,
      eventId: entry.event.id,
      eventType: entry.event.type,
      // The chain a delivery is ordered in: one build's events, or one wave's (its own sequence).
      buildId: entry.kind === "build" ? entry.buildId : entry.waveId,
      sequence: entry.event.sequence,
      event: JSON.stringify(entry.event),
    });
    if (result.created) created += 1;
  }
  return created;
}

type Listed = Awaited<ReturnType<WebhookStore["list"]>>[number];

async function targetsOf(
  entry: StreamEntry,
  deps: { store: Pick<BuildStore, "get">; webhooks: Pick<WebhookStore, "list"> },
): Promise<{ tenant: string; webhook: Listed }[]> {
  if (entry.kind === "rebuild") {
    // A wave's event goes to the webhooks of every tenant it concerns. A selector selects builds by their
    // labels, which a wave has none of: only webhooks without one get rebuild events.
    const out: { tenant: string; webhook: Listed }[] = [];
    for (const tenant of new Set(entry.event.data.tenants)) {
      for (const w of await deps.webhooks.list(tenant)) {
        if (eventMatches(w.view.events, entry.event.type) && Object.keys(w.view.selector ?? {}).length === 0) out.push({ tenant, webhook: w });
      }
    }
    return out;
  }
  const record = await deps.store.get(entry.buildId);
  // A build discarded after its event (a failed submit) has no tenant to deliver to.
  if (!record) return [];
  return (await deps.webhooks.list(record.tenant))
    .filter((w) => eventMatches(w.view.events, entry.event.type) && selectorMatches(w.view.selector, record.labels))
    .map((webhook) => ({ tenant: record.tenant, webhook }));
}
