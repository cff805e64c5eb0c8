import type { BuildRecord, FailureReason, Priority, TerminalState } from "@buildfleet/contract";

/**
 * What an applied build transition means for the worker's metrics, derived from
 * the record the transition left (pure). The store applies each transition at
 * most once (it de-duplicates by key), so counting applied transitions counts
 * every build once however often its queue entry is redelivered.
 */
export type BuildSample =
  | { kind: "started"; lane: Priority; tenant: string; queueWaitSeconds: number | undefined }
  | { kind: "retrying"; lane: Priority; tenant: string }
  | {
      kind: "finished";
      lane: Priority;
      tenant: string;
      outcome: TerminalState;
      /** The failure reason of a failed build; "none" otherwise (a label value is never empty). */
      reason: FailureReason | "none";
      /** From the start to the end; undefined for a build that never started (cancelled or timed out in the queue). */
      durationSeconds: number | undefined;
    };

function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (from === undefined || to === undefined) return undefined;
  const seconds = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

export function sampleOf(record: BuildRecord): BuildSample | undefined {
  const lane = record.request.priority;
  const tenant = record.tenant;
  switch (record.state) {
    case "starting":
      // Queue wait: from submission (the record's creation) until the worker created the Job.
      return { kind: "started", lane, tenant, queueWaitSeconds: secondsBetween(record.createdAt, record.startedAt) };
    case "retrying":
      return { kind: "retrying", lane, tenant };
    case "succeeded":
    case "failed":
    case "cancelled":
      return {
        kind: "finished",
        lane,
        tenant,
        outcome: record.state,
        reason: record.state === "failed" ? (record.failure?.reason ?? "InfrastructureError") : "none",
        durationSeconds: secondsBetween(record.startedAt, record.finishedAt),
      };
    case "queued":
    case "running":
      return undefined;
  }
}
