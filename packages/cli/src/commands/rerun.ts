import type { Command } from "commander";
import { buildIdArg } from "../args/build-id.js";
import type { CommandContext } from "../context.js";
import { asDocument, parseOutput } from "../output/print.js";

/**
 * `buildfleet rerun ID`: submits the same request again as a new build,
 * recorded as a retry of the first through its `retry-of` label (so
 * `buildfleet ls -l retry-of=ID` finds every rerun). The first build's
 * idempotency key is dropped: a rerun is meant to be a new build.
 */

/** Label a rerun carries: the id of the build it repeats. */
export const RETRY_OF_LABEL = "retry-of";

export function rerunRequest(request: Record<string, unknown>, originalId: string): Record<string, unknown> {
  const { idempotencyKey: _dropped, ...rest } = request;
  const labels = { ...((rest["labels"] as Record<string, string> | undefined) ?? {}), [RETRY_OF_LABEL]: originalId };
  return { ...rest, labels };
}

export function registerRerun(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("rerun")
    .argument("<id>", "build id (or build/<id>)")
    .description("submit a build's request again as a new build, labelled retry-of=<id>")
    .option("-o, --output <format>", "table, name, json or yaml")
    .option("-q, --quiet", "print only the new build's id")
    .action(async (id: string, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<{ output?: string; quiet?: boolean; server?: string; token?: string }>();
      const format = parseOutput(opts.output);
      const original = buildIdArg(id);
      const client = await ctx.client(opts);
      const build = await client.get(original, io.signal ? { signal: io.signal } : {});
      const summary = await client.submit(rerunRequest(build.request, original), io.signal ? { signal: io.signal } : {});
      if (opts.quiet) io.stdout(`${summary.id}\n`);
      else if (format === "json" || format === "yaml") io.stdout(asDocument(summary, format));
      else if (format === "name") io.stdout(`build/${summary.id}\n`);
      else io.stdout(`build/${summary.id} submitted (${summary.state}), rerun of build/${original}\n`);
    });
}
