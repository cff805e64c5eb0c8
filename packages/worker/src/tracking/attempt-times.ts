import type { Attempt, BuildRecord } from "@buildfleet/contract";

/**
 * Attempt times come from the cluster's clock (pod and container status); the
 * record's own times from buildfleet's. A real cluster's nodes drift from ours
 * (NTP skew, a kubelet in another zone), and kubesim's clock runs fast under
 * time compression, so pod timestamps can lie before the build was submitted
 * or after it finished. This keeps every recorded attempt inside the record:
 *
 *   record.createdAt ≤ record.startedAt ≤ attempt.startedAt ≤ attempt.finishedAt ≤ at
 *
 * where `at` is the time of the write (the record's finishedAt when the write
 * ends the build). A cluster time outside that window is replaced by the
 * nearest bound, i.e. by when buildfleet observed it. A time recorded earlier
 * for the same pod is kept, so a later observation never moves it: otherwise
 * a clock running ahead would push a running attempt's start forward on every
 * write.
 */
export function alignAttemptTimes(attempts: readonly Attempt[], record: Pick<BuildRecord, "createdAt" | "startedAt" | "attempts">, at: string): Attempt[] {
  const floor = latest(record.createdAt, record.startedAt);
  const ceiling = latest(floor, at);
  return attempts.map((attempt) => {
    const before = record.attempts.find((a) => a.index === attempt.index && a.podName === attempt.podName);
    const next: Attempt = { ...attempt };
    const startedAt = before?.startedAt ?? clamp(attempt.startedAt, floor, ceiling);
    if (startedAt === undefined) delete next.startedAt;
    else next.startedAt = startedAt;
    const finishedAt = before?.finishedAt ?? clamp(attempt.finishedAt, startedAt ?? floor, ceiling);
    if (finishedAt === undefined) delete next.finishedAt;
    else next.finishedAt = finishedAt;
    return next;
  });
}

function clamp(time: string | undefined, lower: string, upper: string): string | undefined {
  if (time === undefined) return undefined;
  const t = Date.parse(time);
  if (Number.isNaN(t)) return undefined;
  if (t < Date.parse(lower)) return lower;
  if (t > Date.parse(upper)) return upper;
  return time;
}

function latest(a: string, b: string | undefined): string {
  return b !== undefined && Date.parse(b) > Date.parse(a) ? b : a;
}
