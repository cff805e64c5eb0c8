import type { Command } from "commander";
import { BuildCancelledError, BuildFailedError, TimeoutError, type BuildRecord, type BuildView } from "@buildfleet/sdk";
import { buildIdArg } from "../args/build-id.js";
import type { CommandContext } from "../context.js";
import { CliExit, EXIT, UsageError, describeError, exitCodeFor, type ExitCode } from "../exit-codes.js";
import { parseDuration } from "./submit.js";

/**
 * `buildfleet wait ID… [--for succeeded|terminal] [--timeout 30m]`, like
 * `kubectl wait`: one line per build as it finishes on stdout, then exit 0
 * when every build met the condition, 1 when one failed or was cancelled
 * (with --for succeeded), 4 on timeout.
 */

const CONDITIONS = ["succeeded", "terminal"] as const;
type Condition = (typeof CONDITIONS)[number];

/** Above this many builds, poll instead of holding one event stream per build. */
const MAX_STREAMS = 10;

export function registerWait(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("wait")
    .argument("<id...>", "build ids (or build/<id>, as -o name prints them)")
    .description("wait until builds finish: exit 0 when all succeeded (or, --for terminal, all finished)")
    .option("--for <condition>", "succeeded (default) or terminal (any end: succeeded, failed, cancelled)", "succeeded")
    .option("--timeout <duration>", "give up after this long (exit 4; the builds go on)", "30m")
    .action(async (ids: string[], _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<{ for: string; timeout: string; server?: string; token?: string }>();
      if (!(CONDITIONS as readonly string[]).includes(opts.for)) {
        throw new UsageError(`--for must be ${CONDITIONS.join(" or ")}, got ${JSON.stringify(opts.for)}`);
      }
      const condition = opts.for as Condition;
      const timeoutMs = parseDuration(opts.timeout);
      const buildIds = [...new Set(ids.map(buildIdArg))];
      const client = await ctx.client(opts);
      const followEvents = buildIds.length <= MAX_STREAMS;
      const outcomes = await Promise.all(
        buildIds.map(async (id): Promise<ExitCode> => {
          try {
            // A build that already finished needs no event stream (waitFor would open one).
            const now = await client.get(id, io.signal ? { signal: io.signal } : {});
            const build = TERMINAL.has(now.state)
              ? settled(now)
              : await client.waitFor(id, { timeout: timeoutMs, followEvents, ...(io.signal ? { signal: io.signal } : {}) });
            io.stdout(line(build));
            return EXIT.ok;
          } catch (err) {
            if (err instanceof BuildFailedError || err instanceof BuildCancelledError) {
              io.stdout(line(err.build));
              return condition === "terminal" ? EXIT.ok : EXIT.buildFailed;
            }
            if (err instanceof TimeoutError) {
              io.stderr(`build/${id} did not finish within ${opts.timeout}\n`);
              return EXIT.timeout;
            }
            if (io.signal?.aborted) throw err;
            io.stderr(`build/${id}: ${describeError(err)}\n`);
            return exitCodeFor(err);
          }
        }),
      );
      // The most telling code wins: a connection/API error, then a timeout, then a failed build.
      const worst = ([EXIT.api, EXIT.usage, EXIT.timeout, EXIT.buildFailed] as ExitCode[]).find((c) => outcomes.includes(c));
      if (worst !== undefined) throw new CliExit(worst, `${outcomes.filter((c) => c !== EXIT.ok).length} of ${buildIds.length} builds did not meet --for ${condition}`);
    });
}

const TERMINAL: ReadonlySet<string> = new Set(["succeeded", "failed", "cancelled"]);

/** A finished build as waitFor ends with it: the build, or its typed error. */
function settled(build: BuildView): BuildView {
  if (build.state === "failed") throw new BuildFailedError(build);
  if (build.state === "cancelled") throw new BuildCancelledError(build);
  return build;
}

function line(build: BuildRecord): string {
  const detail = build.state === "succeeded" ? ` ${build.digest ?? ""}` : build.failure ? ` (${build.failure.reason}): ${build.failure.message}` : "";
  return `build/${build.id} ${build.state}${detail}\n`;
}
