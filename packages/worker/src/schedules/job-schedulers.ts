/**
 * Which BullMQ job schedulers the owner upserts or removes so that there is
 * exactly one per active schedule, with its cron pattern and time zone. Pure:
 * the owner reads both sides, this decides, the owner writes only the
 * difference (an upsert of an unchanged scheduler would replace its next job
 * for nothing; a remove+upsert race is how duplicates appear, bullmq#3063).
 */

export interface WantedScheduler {
  /** The schedule id (tenant/name), used as the job scheduler id. */
  id: string;
  pattern: string;
  tz: string;
}

export interface ExistingScheduler {
  key: string;
  pattern?: string | null | undefined;
  tz?: string | null | undefined;
}

export interface SchedulerSync {
  upsert: WantedScheduler[];
  remove: string[];
}

export function planSchedulerSync(wanted: readonly WantedScheduler[], existing: readonly ExistingScheduler[]): SchedulerSync {
  const have = new Map(existing.map((e) => [e.key, e]));
  const want = new Set(wanted.map((w) => w.id));
  return {
    upsert: wanted.filter((w) => {
      const e = have.get(w.id);
      return e === undefined || e.pattern !== w.pattern || (e.tz ?? "UTC") !== w.tz;
    }),
    remove: existing.filter((e) => !want.has(e.key)).map((e) => e.key),
  };
}
