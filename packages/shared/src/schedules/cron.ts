import { CronExpressionParser } from "cron-parser";

/**
 * Cron math for schedules: five-field expressions in an IANA time zone.
 * cron-parser (the library BullMQ's job schedulers use) does the calendar and
 * DST work; this module only adds the checks it does not make (five fields
 * exactly, a time zone the runtime knows) and a plain-Date API.
 */

export const DEFAULT_TIME_ZONE = "UTC";

/**
 * Both checks are pure and run on every parse of a stored schedule (the
 * owner's reconcile lists every schedule every tick): with 10,000 schedules
 * they were most of the scheduler's CPU (bench:schedules). Remembered per
 * string, bounded: a fleet has few zones and patterns.
 */
const MEMO_MAX = 4096;
function memo(fn: (value: string) => string | undefined): (value: string) => string | undefined {
  const seen = new Map<string, string | undefined>();
  return (value) => {
    if (seen.has(value)) return seen.get(value);
    if (seen.size >= MEMO_MAX) seen.clear();
    const result = fn(value);
    seen.set(value, result);
    return result;
  };
}

/** Why an expression is refused, naming the cron field; undefined when it is usable. */
export const cronProblem: (expression: string) => string | undefined = memo(cronProblemOf);

function cronProblemOf(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/).filter((f) => f !== "");
  if (fields.length !== 5) return `expected five fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  try {
    CronExpressionParser.parse(expression, { strict: false });
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** Why a time zone is refused; undefined when the runtime's tz database knows it. */
export const timeZoneProblem: (timeZone: string) => string | undefined = memo(timeZoneProblemOf);

function timeZoneProblemOf(timeZone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return undefined;
  } catch {
    return `${JSON.stringify(timeZone)} is not an IANA time zone (example: Europe/Berlin)`;
  }
}

/** The first firing strictly after `after`. */
export function nextFire(expression: string, timeZone: string, after: Date): Date {
  return CronExpressionParser.parse(expression, { currentDate: after, tz: timeZone }).next().toDate();
}

/** The latest firing at or before `atOrBefore`, or undefined if there is none. */
export function latestFire(expression: string, timeZone: string, atOrBefore: Date): Date | undefined {
  // prev() is strictly before currentDate: ask from one millisecond later so an exact hit counts.
  const from = new Date(atOrBefore.getTime() + 1);
  try {
    return CronExpressionParser.parse(expression, { currentDate: from, tz: timeZone }).prev().toDate();
  } catch {
    return undefined;
  }
}
