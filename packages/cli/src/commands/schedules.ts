import type { Command } from "commander";
import type { ScheduleView } from "@buildfleet/sdk";
import type { CommandContext } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { asDocument, parseOutput } from "../output/print.js";
import { renderTable } from "../output/table.js";

/** schedules ls|get|trigger|suspend|resume|delete (apply -f takes kind: Schedule too). */

interface Globals {
  server?: string;
  token?: string;
  output?: string;
}

export function schedulesTable(items: readonly ScheduleView[]): string {
  return renderTable(
    ["NAME", "CRON", "NEXT", "LAST", "RESULT"],
    items.map((s) => [s.metadata.name, `${s.spec.cron} ${s.spec.timeZone}`, s.spec.suspend ? "suspended" : (s.status.next ?? ""), s.status.last ?? "", s.status.result ?? ""]),
  );
}

export function registerSchedules(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const signal = (): { signal?: AbortSignal } => (io.signal ? { signal: io.signal } : {});
  const schedules = program.command("schedules").alias("schedule").description("cron-driven builds and registry mirrors");

  schedules
    .command("ls")
    .alias("list")
    .description("list Schedules with their next and last firing")
    .option("-o, --output <format>", "table, name, json or yaml")
    .action(async (_o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals>();
      const format = parseOutput(opts.output);
      const items = await (await ctx.client(opts)).schedules.list(signal());
      if (format === "json" || format === "yaml") io.stdout(asDocument({ items }, format));
      else if (format === "name") io.stdout(items.map((i) => `schedule/${i.metadata.name}\n`).join(""));
      else if (items.length === 0) io.stderr("No schedules found.\n");
      else io.stdout(schedulesTable(items));
    });

  schedules
    .command("get")
    .argument("<name>", "Schedule name")
    .description("show one Schedule with its recent runs")
    .option("-o, --output <format>", "yaml (default) or json")
    .action(async (name: string, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals>();
      const format = opts.output ?? "yaml";
      if (format !== "yaml" && format !== "json") throw new UsageError(`-o must be yaml or json, got ${JSON.stringify(format)}`);
      io.stdout(asDocument(await (await ctx.client(opts)).schedules.get(name, signal()), format));
    });

  const simple = (verb: "trigger" | "suspend" | "resume" | "delete", description: string, done: string) =>
    schedules
      .command(verb)
      .argument("<name>", "Schedule name")
      .description(description)
      .action(async (name: string, _o: unknown, command: Command) => {
        await (await ctx.client(command.optsWithGlobals<Globals>())).schedules[verb](name, signal());
        io.stdout(`schedule/${name} ${done}\n`);
      });
  simple("trigger", "fire a Schedule now (one build, or a skip when its source is unchanged)", "triggered");
  simple("suspend", "stop a Schedule's firings", "suspended");
  simple("resume", "resume a suspended Schedule", "resumed");
  simple("delete", "delete a Schedule and its history", "deleted");
}
