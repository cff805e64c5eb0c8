/**
 * Why a build pod never started, in the cluster's words: the newest Warning
 * event about it (FailedMount `… secret "regcred" not found`, FailedScheduling,
 * a failed image pull). The pod status alone does not say it for a mount: the
 * container just stays ContainerCreating.
 */

export interface EventLike {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string | Date;
  eventTime?: string | Date | null;
  firstTimestamp?: string | Date;
  metadata?: { creationTimestamp?: string | Date };
}

/** A failure message quotes at most this much of the event. */
const MAX_CHARS = 400;

const timeOf = (e: EventLike): number => {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  const ms = t === undefined || t === null ? Number.NaN : new Date(t).getTime();
  return Number.isNaN(ms) ? 0 : ms;
};

/** `Reason: message` of the newest Warning (the later one in list order on a tie), or undefined. */
export function latestWarning(events: readonly EventLike[]): string | undefined {
  let best: EventLike | undefined;
  for (const e of events) {
    if (e.type !== "Warning") continue;
    if (best === undefined || timeOf(e) >= timeOf(best)) best = e;
  }
  if (best === undefined) return undefined;
  const text = `${best.reason ?? "Warning"}: ${(best.message ?? "").trim()}`;
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text;
}
