import type { Http } from "./http.js";

/** `client.schedules`: cron-driven builds and registry mirrors (issue 14). */

type Signal = { signal?: AbortSignal };
const seg = (s: string) => encodeURIComponent(s);

export interface ScheduleRunView {
  fireAt: string;
  trigger: "cron" | "manual";
  outcome: "built" | "skipped" | "failed" | "missed";
  reason?: string;
  buildId?: string;
  sourceDigest?: string;
  replaced?: string;
  /** An image firing: canonical base reference → the digest it was pinned to (or found unchanged). */
  baseDigests?: Record<string, string>;
  /** cascade: what became of the build's digest. */
  cascade?: "wave" | "unchanged" | "not-succeeded" | "no-dependents" | "failed";
  waveId?: string;
  cascadeReason?: string;
}

export interface ScheduleView {
  apiVersion: string;
  kind: "Schedule";
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    cron: string;
    timeZone: string;
    target: { mirror?: { source: string; destinations: string[] }; image?: string; build?: Record<string, unknown> };
    skipIfUnchanged: boolean;
    cascade: boolean;
    concurrencyPolicy: "Forbid" | "Replace" | "Allow";
    startingDeadlineSeconds: number;
    suspend: boolean;
  };
  status: { tenant: string; createdAt: string; updatedAt: string; next: string | null; last: string | null; result: string | null; runs: ScheduleRunView[] };
}

export interface ScheduleApplyResult {
  result: "created" | "configured";
  schedule: ScheduleView;
}

export class SchedulesApi {
  constructor(private readonly http: Http) {}

  /** Creates or replaces a Schedule (PUT /v1/schedules/:name). */
  async apply(schedule: Record<string, unknown>, options: Signal = {}): Promise<ScheduleApplyResult> {
    const name = (schedule as { metadata?: { name?: unknown } }).metadata?.name;
    if (typeof name !== "string" || name === "") throw new TypeError("the Schedule needs metadata.name");
    return (await this.http.json<ScheduleApplyResult>(`/v1/schedules/${seg(name)}`, { method: "PUT", body: schedule, signal: options.signal })).body;
  }

  /** One schedule with its next firing and recent runs (newest first). */
  async get(name: string, options: Signal = {}): Promise<ScheduleView> {
    return (await this.http.json<ScheduleView>(`/v1/schedules/${seg(name)}`, { signal: options.signal })).body;
  }

  async list(options: Signal = {}): Promise<ScheduleView[]> {
    return (await this.http.json<{ items: ScheduleView[] }>("/v1/schedules", { signal: options.signal })).body.items;
  }

  async delete(name: string, options: Signal = {}): Promise<void> {
    await this.http.json(`/v1/schedules/${seg(name)}`, { method: "DELETE", signal: options.signal });
  }

  /** Fires now (the worker's scheduler picks it up on its next tick). */
  async trigger(name: string, options: Signal = {}): Promise<{ triggered: string; fireAt: string }> {
    return (await this.http.json<{ triggered: string; fireAt: string }>(`/v1/schedules/${seg(name)}/trigger`, { method: "POST", signal: options.signal })).body;
  }

  async suspend(name: string, options: Signal = {}): Promise<ScheduleView> {
    return (await this.http.json<ScheduleView>(`/v1/schedules/${seg(name)}/suspend`, { method: "POST", signal: options.signal })).body;
  }

  async resume(name: string, options: Signal = {}): Promise<ScheduleView> {
    return (await this.http.json<ScheduleView>(`/v1/schedules/${seg(name)}/resume`, { method: "POST", signal: options.signal })).body;
  }
}
