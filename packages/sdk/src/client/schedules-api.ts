import type { ScheduleRunView, ScheduleView } from "@buildfleet/contract";
import type { Http } from "./http.js";

/** A schedule and one firing of its history: inferred from the contract's response schemas. */
export type { ScheduleRunView, ScheduleView };

/** `client.schedules`: cron-driven builds and registry mirrors (issue 14). */

type Signal = { signal?: AbortSignal };
const seg = (s: string) => encodeURIComponent(s);

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
