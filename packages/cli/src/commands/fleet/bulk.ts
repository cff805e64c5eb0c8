import type { BulkAnswer, BulkSelector, BuildfleetClient } from "@buildfleet/sdk";
import type { CliIo } from "../../context.js";
import { UsageError } from "../../exit-codes.js";

/**
 * `buildfleet cancel|retry --selector … --state …`: a dry run first (count
 * and first ids), then a confirmation (--yes, or a y/N prompt on a terminal),
 * then the real request. Above the API's bound the request needs --all.
 */

export interface BulkFlags {
  selector?: string[];
  state?: string[];
  tenant?: string;
  dryRun?: boolean;
  all?: boolean;
  yes?: boolean;
}

export function hasSelection(flags: BulkFlags): boolean {
  return (flags.selector?.length ?? 0) > 0 || (flags.state?.length ?? 0) > 0;
}

function describeMatch(verb: string, answer: BulkAnswer): string {
  const count = `${answer.truncated ? "at least " : ""}${answer.matched} build${answer.matched === 1 ? "" : "s"}`;
  const more = answer.matched > answer.ids.length ? `\n  … and ${answer.matched - answer.ids.length} more` : "";
  const ids = answer.ids.map((id) => `\n  build/${id}`).join("");
  return `${count} to ${verb}${ids}${more}\n`;
}

export async function runBulk(
  client: BuildfleetClient,
  kind: "cancel" | "retry",
  flags: BulkFlags,
  io: Pick<CliIo, "stdout" | "stderr" | "confirm" | "signal">,
): Promise<void> {
  const selection: BulkSelector = {
    ...(flags.selector && flags.selector.length > 0 ? { selector: flags.selector.join(",") } : {}),
    ...(flags.state && flags.state.length > 0 ? { state: flags.state } : {}),
    ...(flags.tenant !== undefined ? { tenant: flags.tenant } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
  };
  const call = (s: BulkSelector) => (kind === "cancel" ? client.bulkCancel(s) : client.bulkRetry(s));
  const dry = await call({ ...selection, dryRun: true });
  io.stdout(describeMatch(kind, dry));
  if (flags.dryRun || dry.matched === 0) return;
  if (dry.needsAll && !flags.all) {
    throw new UsageError(`more than ${dry.max} builds match: pass --all to ${kind} every one of them, or narrow the selector`);
  }
  if (!flags.yes) {
    const question = `${kind} ${dry.matched} build${dry.matched === 1 ? "" : "s"}? [y/N] `;
    if (!io.confirm) throw new UsageError(`not a terminal: pass --yes to ${kind} these ${dry.matched} builds`);
    if (!(await io.confirm(question))) {
      io.stderr("nothing done\n");
      return;
    }
  }
  const done = await call({ ...selection, ...(flags.all ? { all: true } : {}) });
  const verb = kind === "cancel" ? "cancelled (or cancel requested for)" : "retried";
  io.stdout(`${verb} ${done.done} of ${done.matched}${done.skipped > 0 ? `; ${done.skipped} skipped (no longer in a state to ${kind}, or not allowed)` : ""}\n`);
}
