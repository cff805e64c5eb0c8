import type { Command } from "commander";
import type { CommandContext } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { asDocument, parseOutput, queueTable } from "../output/print.js";
import { drainLine, runDrain } from "./fleet/drain.js";
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

  program
    .command("cancel")
    .argument("<id>", "build id")
    .description("cancel a build (queued: at once; running: its Job is stopped)")
    .option("-o, --output <format>", "table, json or yaml")
    .action(async (id: string, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals>();
      const format = parseOutput(opts.output);
      const record = await (await ctx.client(opts)).cancel(id, signal());
      if (format === "json" || format === "yaml") io.stdout(asDocument(record, format));
      else if (record.state === "cancelled") io.stdout(`build/${id} cancelled\n`);
      else io.stdout(`build/${id} cancel requested (still ${record.state}; the worker stops its Job)\n`);
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
