import type { Command } from "commander";
import type { WorkerInfo } from "@buildfleet/sdk";
import type { CommandContext } from "../../context.js";
import { UsageError } from "../../exit-codes.js";
import { asDocument, parseOutput } from "../../output/print.js";
import { formatAge, renderTable } from "../../output/table.js";

interface Globals {
  server?: string;
  token?: string;
  output?: string;
}

export function workersTable(workers: readonly WorkerInfo[], now = Date.now()): string {
  return renderTable(
    ["ID", "STATE", "IN-FLIGHT", "CAPACITY", "HOST", "VERSION", "HEARTBEAT", "AGE"],
    workers.map((w) => [w.id, w.state, String(w.inFlight), String(w.capacity), w.host, w.version, formatAge(w.heartbeatAt, now), formatAge(w.startedAt, now)]),
  );
}

/** `buildfleet workers ls | quiet ID | resume ID` (admin). */
export function registerWorkers(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command("workers")
    .argument("<action>", "ls, quiet or resume")
    .argument("[id]", "worker id (quiet, resume)")
    .description("list the fleet's workers, or make one quiet (no new builds; in-flight ones finish) and resume it (admin)")
    .option("-o, --output <format>", "table, json or yaml")
    .action(async (action: string, id: string | undefined, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals>();
      const format = parseOutput(opts.output);
      const client = await ctx.client(opts);
      const signal = io.signal ? { signal: io.signal } : {};
      if (action === "ls") {
        const workers = await client.workers(signal);
        io.stdout(format === "json" || format === "yaml" ? asDocument({ items: workers }, format) : workersTable(workers));
        return;
      }
      if (action !== "quiet" && action !== "resume") throw new UsageError(`workers expects ls, quiet or resume, got ${JSON.stringify(action)}`);
      if (id === undefined) throw new UsageError(`workers ${action} needs a worker id (see buildfleet workers ls)`);
      const answer = await client.setWorkerQuiet(id, action === "quiet", signal);
      if (format === "json" || format === "yaml") io.stdout(asDocument(answer, format));
      else io.stdout(action === "quiet" ? `worker/${id} quiet requested: it takes no new builds and finishes its ${answer.inFlight} in flight\n` : `worker/${id} resume requested\n`);
    });
}
