import { CronExpressionParser } from "cron-parser";

/**
 * Cron math for schedules: five-field expressions in an IANA time zone.
 * cron-parser (the library BullMQ's job schedulers use) does the calendar and
 * DST work; this module only adds the checks it does not make (five fields
 * exactly, a time zone the runtime knows) and a plain-Date API.
 */

export const DEFAULT_TIME_ZONE = "UTC";

/** Why an expression is refused, naming the cron field; undefined when it is usable. */
export function cronProblem(expression: string): string | undefined {
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
export function timeZoneProblem(timeZone: string): string | undefined {
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
