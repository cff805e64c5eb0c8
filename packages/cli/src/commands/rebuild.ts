import type { Command } from "commander";
import type { RebuildRequest } from "@buildfleet/sdk";
import type { CommandContext } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { asDocument, parseOutput } from "../output/print.js";
import { planText, waveNodesTable, wavesTable } from "../output/catalog-print.js";
import { everyNodeSucceeded, progressPrinter } from "../output/wave-progress.js";

/** rebuild BASE|IMAGE… and rebuild ls|status|cancel|retry: rebuild waves. */

interface Globals {
  server?: string;
  token?: string;
  output?: string;
}

/** A wave that did not succeed: exit code 1, like a failed build. */
export class WaveFailedError extends Error {
  readonly code = "WAVE_FAILED";
  constructor(id: string, state: string) {
    super(`rebuild wave ${id} ended ${state}`);
    this.name = "WaveFailedError";
  }
}

interface StartOptions {
  dryRun?: boolean;
  maxInFlight?: string;
  onFailure?: string;
  priority?: string;
  reason?: string;
  wait?: boolean;
}

export function rebuildRequest(targets: readonly string[], o: StartOptions): RebuildRequest {
  if (targets.length === 0) throw new UsageError("name a base (an image reference or Image name) or several Images");
  if (o.maxInFlight !== undefined && !/^[1-9]\d*$/.test(o.maxInFlight)) throw new UsageError(`--max-in-flight expects a positive whole number, got ${JSON.stringify(o.maxInFlight)}`);
  if (o.onFailure !== undefined && o.onFailure !== "skip-dependents" && o.onFailure !== "stop") throw new UsageError(`--on-failure must be skip-dependents or stop, got ${JSON.stringify(o.onFailure)}`);
  if (o.priority !== undefined && !["interactive", "normal", "bulk"].includes(o.priority)) throw new UsageError(`--priority must be interactive, normal or bulk, got ${JSON.stringify(o.priority)}`);
  return {
    ...(targets.length === 1 ? { base: targets[0]! } : { images: [...targets] }),
    ...(o.maxInFlight !== undefined ? { maxInFlight: Number(o.maxInFlight) } : {}),
    ...(o.onFailure !== undefined ? { onFailure: o.onFailure } : {}),
    ...(o.priority !== undefined ? { priority: o.priority as "interactive" | "normal" | "bulk" } : {}),
    ...(o.reason !== undefined ? { reason: o.reason } : {}),
  };
}

export function registerRebuild(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const signal = (): { signal?: AbortSignal } => (io.signal ? { signal: io.signal } : {});

  const rebuild = program
    .command("rebuild")
    .description("rebuild a base's dependents in FROM order (one argument: a base; several: just those Images)")
    .argument("[targets...]", "an image reference or Image name, or several Image names")
    .option("--dry-run", "print the plan as a tree; enqueue nothing")
    .option("--max-in-flight <n>", "at most this many of the wave's builds queued or running at once (default 10)")
    .option("--on-failure <mode>", "skip-dependents (default) or stop")
    .option("--priority <lane>", "interactive, normal or bulk (default bulk)")
    .option("--reason <text>", "why, kept with the wave")
    .option("--wait", "follow progress per level; exit 0 when every node succeeded, 1 otherwise")
    .option("-o, --output <format>", "table (default), json or yaml")
    .action(async (targets: string[], _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals & StartOptions>();
      const format = parseOutput(opts.output);
      const request = rebuildRequest(targets, opts);
      const client = await ctx.client(opts);
      if (opts.dryRun) {
        const plan = await client.rebuilds.plan(request, signal());
        io.stdout(format === "json" || format === "yaml" ? asDocument(plan, format) : planText(plan));
        return;
      }
      const wave = await client.rebuilds.start(request, signal());
      if (format === "json" || format === "yaml") io.stdout(asDocument(wave, format));
      else io.stdout(`rebuild/${wave.id} started (${wave.nodes.length} images in ${wave.levels.length} levels)\n`);
      if (!opts.wait) return;
      const progress = progressPrinter(io.stderr, io.stderrIsTTY ?? false);
      const done = await client.rebuilds.waitFor(wave.id, {
        ...signal(),
        ...(io.pollIntervalMs !== undefined ? { pollIntervalMs: io.pollIntervalMs } : {}),
        onProgress: (w) => progress.update(w),
      });
      io.stdout(`rebuild/${done.id} ${done.state}\n`);
      if (!everyNodeSucceeded(done)) {
        io.stdout(waveNodesTable(done));
        throw new WaveFailedError(done.id, done.state);
      }
    });

  rebuild
    .command("ls")
    .alias("list")
    .description("list rebuild waves, newest first")
    .option("-o, --output <format>", "table, json or yaml")
    .action(async (_o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals>();
      const format = parseOutput(opts.output);
      const waves = await (await ctx.client(opts)).rebuilds.list(signal());
      if (format === "json" || format === "yaml") io.stdout(asDocument({ items: waves }, format));
      else if (waves.length === 0) io.stderr("No rebuild waves found.\n");
      else io.stdout(wavesTable(waves));
    });

  rebuild
    .command("status")
    .argument("<id>", "wave id")
    .description("show a wave's nodes")
    .option("-o, --output <format>", "table, json or yaml")
    .action(async (id: string, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals>();
      const format = parseOutput(opts.output);
      const wave = await (await ctx.client(opts)).rebuilds.get(id, signal());
      io.stdout(format === "json" || format === "yaml" ? asDocument(wave, format) : `rebuild/${wave.id} ${wave.state}\n${waveNodesTable(wave)}`);
    });

  for (const [name, what] of [
    ["cancel", "cancel a wave: pending nodes never start, queued and running builds are cancelled"],
    ["retry", "build a finished wave's failed, skipped and cancelled nodes again (succeeded digests are kept)"],
  ] as const) {
    rebuild
      .command(name)
      .argument("<id>", "wave id")
      .description(what)
      .action(async (id: string, _o: unknown, command: Command) => {
        const client = await ctx.client(command.optsWithGlobals<Globals>());
        const wave = name === "cancel" ? await client.rebuilds.cancel(id, signal()) : await client.rebuilds.retry(id, signal());
        io.stdout(`rebuild/${wave.id} ${name === "cancel" ? "cancel requested" : "retried"} (${wave.state})\n`);
      });
  }
}

