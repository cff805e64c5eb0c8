import { Command, CommanderError } from "commander";
import { registerRead } from "./commands/read.js";
import { registerSubmit } from "./commands/submit.js";
import { registerWrite } from "./commands/write.js";
import { registerWorkers } from "./commands/fleet/workers.js";
import { registerCatalog } from "./commands/catalog.js";
import { registerSchedules } from "./commands/schedules.js";
import { registerRebuild } from "./commands/rebuild.js";
import { registerWait } from "./commands/wait.js";
import { registerCompletion } from "./commands/completion.js";
import { registerRerun } from "./commands/rerun.js";
import { cliVersion } from "./version.js";
import { registerWebhooks } from "./commands/webhooks.js";
import { commandContext, type CliIo } from "./context.js";
import { EXIT, EXIT_CODES_HELP, describeError, exitCodeFor } from "./exit-codes.js";

/** Exit code when Ctrl-C interrupted a command (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

export function createProgram(io: CliIo): Command {
  const program = new Command("buildfleet")
    .description("Submit and follow container-image builds on a buildfleet API")
    .option("--server <url>", "API address (default: BUILDFLEET_URL, then .buildfleet/dev.env)")
    .option("--token <token>", "bearer token (default: BUILDFLEET_TOKEN, then .buildfleet/dev.env)")
    .version(cliVersion(), "--version", "print the CLI's version")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .addHelpText("after", EXIT_CODES_HELP);
  const ctx = commandContext(io);
  registerSubmit(program, ctx);
  registerRead(program, ctx);
  registerWrite(program, ctx);
  registerWorkers(program, ctx);
  registerCatalog(program, ctx);
  registerRebuild(program, ctx);
  registerSchedules(program, ctx);
  registerWait(program, ctx);
  registerRerun(program, ctx);
  registerCompletion(program, ctx);
  registerWebhooks(program, ctx);
  const override = (cmd: Command): void => {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
      override(sub);
    }
  };
  override(program);
  return program;
}

/** Runs the CLI on `args` (without node and the script) and returns the exit code; never calls process.exit. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...args], { from: "user" });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end with exit code 0; everything else commander throws is a usage error.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (io.signal?.aborted) {
      io.stderr("interrupted\n");
      return EXIT_INTERRUPTED;
    }
    io.stderr(`${describeError(err)}\n`);
    return exitCodeFor(err);
  }
}
