import type { Command } from "commander";
import type { CommandContext } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { buildIdArg } from "../args/build-id.js";
import { asDocument, parseOutput, queueTable } from "../output/print.js";

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
    .argument("<id>", "build id (or build/<id>)")
    .description("cancel a build (queued: at once; running: its Job is stopped)")
    .option("-o, --output <format>", "table, name, json or yaml")
    .action(async (id: string, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals>();
      const format = parseOutput(opts.output);
      const buildId = buildIdArg(id);
      const record = await (await ctx.client(opts)).cancel(buildId, signal());
      if (format === "json" || format === "yaml") io.stdout(asDocument(record, format));
      else if (format === "name") io.stdout(`build/${buildId}\n`);
      else if (record.state === "cancelled") io.stdout(`build/${buildId} cancelled\n`);
      else io.stdout(`build/${buildId} cancel requested (still ${record.state}; the worker stops its Job)\n`);
    });

  program
    .command("queue")
    .argument("<action>", "stats, pause or resume")
    .description("show the build queue, or pause/resume it (pause/resume need the admin scope)")
    .option("-o, --output <format>", "table, json or yaml")
    .action(async (action: string, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals>();
      const format = parseOutput(opts.output);
      if (!["stats", "pause", "resume"].includes(action)) {
        throw new UsageError(`queue expects stats, pause or resume, got ${JSON.stringify(action)}`);
      }
      const client = await ctx.client(opts);
      const view =
        action === "pause" ? await client.pauseQueue(signal()) : action === "resume" ? await client.resumeQueue(signal()) : await client.queue(signal());
      io.stdout(format === "json" || format === "yaml" ? asDocument(view, format) : queueTable(view));
    });
}
