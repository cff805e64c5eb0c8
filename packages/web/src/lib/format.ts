import { stringify } from "yaml";
import type { BuildEvent, BuildRecord, BuildRequest, BuildState, QueueView } from "../api/types";

/** Every build state, in lifecycle order (the filter's choices). */
export const STATES = ["queued", "starting", "running", "retrying", "succeeded", "failed", "cancelled"] as const satisfies readonly BuildState[];
// Fails to compile when the contract gains a state this list lacks.
const _allStates: Record<BuildState, true> = { queued: true, starting: true, running: true, retrying: true, succeeded: true, failed: true, cancelled: true };
void _allStates;

const TERMINAL: ReadonlySet<BuildState> = new Set<BuildState>(["succeeded", "failed", "cancelled"]);
export const isTerminal = (state: BuildState): boolean => TERMINAL.has(state);

/** Short text of an ISO time relative to `now` ("12 s ago", "3 min ago", else the date). */
export function ago(iso: string | undefined, now: number = Date.now()): string {
  if (iso === undefined) return "–";
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return iso.slice(0, 10);
}

/** How long a build ran (or has run), e.g. "1 min 5 s"; "–" before it started. */
export function duration(record: Pick<BuildRecord, "startedAt" | "finishedAt">, now: number = Date.now()): string {
  if (record.startedAt === undefined) return "–";
  const end = record.finishedAt !== undefined ? Date.parse(record.finishedAt) : now;
  const s = Math.max(0, Math.round((end - Date.parse(record.startedAt)) / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** One line of the timeline for an event. */
export function describeEvent(event: BuildEvent): string {
  const d = event.data as Record<string, unknown>;
  switch (event.type) {
    case "build.queued":
      return `queued (priority ${String(d["priority"])})`;
    case "build.started":
      return `Job ${String(d["jobName"])} created, attempt ${String(d["attempt"])}`;
    case "build.running":
      return `running, attempt ${String(d["attempt"])}${typeof d["podName"] === "string" ? ` on pod ${d["podName"]}` : ""}`;
    case "build.retrying": {
      const prev = (d["previous"] ?? {}) as { exitCode?: number; reason?: string };
      return `retrying as attempt ${String(d["attempt"])} (previous: ${prev.reason ?? (prev.exitCode !== undefined ? `exit ${prev.exitCode}` : "failed")})`;
    }
    case "build.succeeded":
      return `succeeded: ${String(d["digest"])}`;
    case "build.failed":
      return `failed (${String(d["reason"])}): ${String(d["message"])}`;
    case "build.cancelled":
      return `cancelled${typeof d["by"] === "string" ? ` by ${d["by"]}` : ""}`;
  }
}

/** The request as YAML, as `buildfleet submit -f` takes it. */
export function requestYaml(request: BuildRequest): string {
  return stringify(request, { lineWidth: 0 });
}

/** The request a retry submits: the same build, without the idempotency key that would return the old one. */
export function retryRequest(request: BuildRequest): BuildRequest {
  const { idempotencyKey: _drop, ...rest } = request;
  return rest;
}

/** "team=payments, env=prod" */
export function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

/** Query string of the builds list filter; empty parts left out. */
export function listQuery(filter: { state?: string; label?: string; tenant?: string }, limit = 50): string {
  const p = new URLSearchParams();
  if (filter.state) p.set("state", filter.state);
  for (const l of (filter.label ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "")) p.append("label", l);
  if (filter.tenant) p.set("tenant", filter.tenant);
  p.set("limit", String(limit));
  return p.toString();
}

/** The queue in two words: a drain shows as such, a plain pause as paused. */
export function queueState(q: Pick<QueueView, "paused" | "drain">): "taking builds" | "paused" | "draining" | "drained" {
  if (q.drain) return q.drain.state;
  return q.paused ? "paused" : "taking builds";
}
