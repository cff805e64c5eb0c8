import type { Command } from "commander";
import type { CommandContext } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { buildIdArg } from "../args/build-id.js";
import { asDocument, parseOutput, queueTable } from "../output/print.js";
import { drainLine, runDrain } from "./fleet/drain.js";
import { hasSelection, runBulk, type BulkFlags } from "./fleet/bulk.js";
import { collect } from "../context.js";
import { parseDuration } from "./submit.js";

/** cancel and queue stats|pause|resume. */

interface Globals {
  server?: string;
  token?: string;
  output?: string;
}

export function registerWrite(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const signal = (): { signal?: AbortSignal } => (io.signal ? { signal: io.signal } : {});

  const bulkOptions = (c: Command, stateHelp: string): Command =>
    c
      .option("-l, --selector <KEY=VALUE>", "builds with this label (repeatable, all must match; k=v,k2=v2 works too)", collect)
      .option("--state <state>", stateHelp, collect)
      .option("--tenant <tenant>", "admin tokens: only this tenant's builds (default: every tenant's)")
      .option("--dry-run", "print how many builds match and the first ids; change nothing")
      .option("--all", "act even when more builds match than the API's bound")
      .option("-y, --yes", "do not ask for confirmation");

  bulkOptions(
    program
      .command("cancel")
      .argument("[id]", "build id or build/<id> (or select builds with --selector/--state)")
      .description("cancel a build (queued: at once; running: its Job is stopped), or every build a selector matches")
      .option("-o, --output <format>", "table, name, json or yaml"),
    "with --selector: only builds in this state (repeatable; default any unfinished)",
  ).action(async (id: string | undefined, _o: unknown, command: Command) => {
    const opts = command.optsWithGlobals<Globals & BulkFlags>();
    if (hasSelection(opts)) {
      if (id !== undefined) throw new UsageError("give a build id or --selector/--state, not both");
      await runBulk(await ctx.client(opts), "cancel", opts, io);
      return;
    }
    if (id === undefined) throw new UsageError("cancel needs a build id, or --selector/--state to select builds");
    const format = parseOutput(opts.output);
    const buildId = buildIdArg(id);
    const record = await (await ctx.client(opts)).cancel(buildId, signal());
    if (format === "json" || format === "yaml") io.stdout(asDocument(record, format));
    else if (format === "name") io.stdout(`build/${buildId}\n`);
    else if (record.state === "cancelled") io.stdout(`build/${buildId} cancelled\n`);
    else io.stdout(`build/${buildId} cancel requested (still ${record.state}; the worker stops its Job)\n`);
  });

  bulkOptions(
    program
      .command("retry")
      .argument("[id]", "finished build id or build/<id> (or select builds with --selector/--state)")
      .description("submit a finished build's request again as a new build recording retryOf (once per build)")
      .option("-o, --output <format>", "table, name, json or yaml"),
    "with --selector: only builds in this state (repeatable; default failed)",
  ).action(async (id: string | undefined, _o: unknown, command: Command) => {
    const opts = command.optsWithGlobals<Globals & BulkFlags>();
    if (hasSelection(opts)) {
      if (id !== undefined) throw new UsageError("give a build id or --selector/--state, not both");
      await runBulk(await ctx.client(opts), "retry", opts, io);
      return;
    }
    if (id === undefined) throw new UsageError("retry needs a build id, or --selector/--state to select builds");
    const format = parseOutput(opts.output);
    const summary = await (await ctx.client(opts)).retry(buildIdArg(id), signal());
    if (format === "json" || format === "yaml") io.stdout(asDocument(summary, format));
    else io.stdout(`build/${summary.id} ${summary.idempotent ? "is the existing retry" : "submitted"} (retry of build/${id}, ${summary.state})\n`);
  });

  program
    .command("queue")
    .argument("<action>", "stats (or status), pause, resume or drain")
    .description("show the build queue, or pause/resume/drain it (pause, resume and drain need the admin scope; resume ends a drain)")
    .option("-o, --output <format>", "table, json or yaml")
    .option("--cancel-queued", "drain: cancel every queued build (one build.cancelled each, reason Drained)")
    .option("--reject-new", "drain: answer new submissions 503 with Retry-After until resumed")
    .option("--reason <text>", "drain: why (shown by queue status)")
    .option("--wait", "drain: report the running count until it reaches zero")
    .option("--timeout <duration>", "drain --wait: give up waiting after this long (the drain goes on)", "30m")
    .action(async (action: string, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals & { cancelQueued?: boolean; rejectNew?: boolean; reason?: string; wait?: boolean; timeout: string }>();
      const format = parseOutput(opts.output);
      if (!["stats", "status", "pause", "resume", "drain"].includes(action)) {
        throw new UsageError(`queue expects stats, status, pause, resume or drain, got ${JSON.stringify(action)}`);
      }
      const client = await ctx.client(opts);
      if (action === "drain") {
        const timeoutMs = parseDuration(opts.timeout);
        await runDrain(client, opts, io, timeoutMs);
        return;
      }
      const view =
        action === "pause" ? await client.pauseQueue(signal()) : action === "resume" ? await client.resumeQueue(signal()) : await client.queue(signal());
      io.stdout(format === "json" || format === "yaml" ? asDocument(view, format) : queueTable(view) + drainLine(view));
    });
}
