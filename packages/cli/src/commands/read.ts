import type { Command } from "commander";
import { BUILD_STATES, TERMINAL_STATES as CONTRACT_TERMINAL_STATES } from "@buildfleet/contract";
import type { BuildRecord, BuildState } from "@buildfleet/sdk";
import type { CommandContext } from "../context.js";
import { collect } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { eventLine, jsonPathOf, printBuilds, parseOutput, queueNote } from "../output/print.js";
import { renderJsonPath } from "../output/jsonpath.js";
import { watchBuilds } from "./watch.js";
import { buildIdArg } from "../args/build-id.js";
import { sinceArg } from "../args/since.js";

/** status, ls, logs, events: the read-only commands. */

interface Globals {
  server?: string;
  token?: string;
  output?: string;
}

/** The API's cap on one page (GET /v1/builds?limit=). */
const MAX_PAGE = 200;
/** --all stops after this many pages (100,000 builds): a bound, not a listing anyone reads. */
const MAX_PAGES = 500;
/** ls -w replays events from this long before its listing (see below). */
const WATCH_REPLAY_MS = 10_000;

// The contract's lists, so a new state reaches the CLI without a copy to update.
const TERMINAL_STATES: readonly string[] = CONTRACT_TERMINAL_STATES;
const STATES: readonly string[] = BUILD_STATES;

export function registerRead(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const signal = (): { signal?: AbortSignal } => (io.signal ? { signal: io.signal } : {});

  program
    .command("status")
    .argument("<id>", "build id (or build/<id>, as -o name prints it)")
    .description("show one build")
    .option("-o, --output <format>", "table, wide, name, json, yaml (json/yaml include the event history) or jsonpath=TEMPLATE")
    .option("-w, --watch", "after the build, print a row each time its state changes, until it ends (table, wide, name)")
    .action(async (id: string, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals & { watch?: boolean }>();
      const template = jsonPathOf(opts.output);
      const format = template === undefined ? parseOutput(opts.output) : "json";
      if (opts.watch && (template !== undefined || format === "json" || format === "yaml")) throw new UsageError("--watch prints rows: use it with -o table, wide or name");
      const client = await ctx.client(opts);
      const view = await client.get(buildIdArg(id), signal());
      io.stdout(template !== undefined ? renderJsonPath(template, view) : printBuilds([view], format, true));
      // Table and wide: a waiting build says where it is in the queue and, when the API can tell, when it should start.
      const note = queueNote(view);
      // Not under --watch: its output is rows only, one per state, as kubectl -w prints them.
      if (!opts.watch && template === undefined && (format === "table" || format === "wide") && note !== "") io.stdout(`Waiting:${note.slice(1)}.\n`);
      if (opts.watch && !TERMINAL_STATES.includes(view.state)) {
        await watchBuilds(io, client, { buildId: view.id, format, shown: new Map([[view.id, view.state]]) });
      }
    });

  program
    .command("ls")
    .alias("list")
    .description("list builds, newest first")
    .option("--state <state>", `only builds in this state (repeatable): ${STATES.join(", ")}`, collect)
    .option("-l, --selector <KEY=VALUE>", "only builds with this label (repeatable, all must match)", collect)
    .option("--limit <n>", `at most this many builds (1-${MAX_PAGE}, the API's page cap; --all for more)`, "50")
    .option("--all", `every matching build, paging through ${MAX_PAGE} at a time`)
    .option("--cursor <cursor>", "continue a previous listing (with the same --state and -l)")
    .option("--no-headers", "table and wide output without the header line")
    .option("-w, --watch", "after the list, print a row each time a matching build changes state (Ctrl-C stops)")
    .option("-o, --output <format>", "table, wide, name, json, yaml or jsonpath=TEMPLATE (e.g. '{.items[*].id}')")
    .action(async (_o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals & { state?: string[]; selector?: string[]; limit: string; cursor?: string; all?: boolean; headers: boolean; watch?: boolean }>();
      const template = jsonPathOf(opts.output);
      const format = template === undefined ? parseOutput(opts.output) : "json";
      for (const s of opts.state ?? []) {
        if (!STATES.includes(s)) throw new UsageError(`--state must be one of ${STATES.join(", ")}, got ${JSON.stringify(s)}`);
      }
      if (!/^\d+$/.test(opts.limit) || Number(opts.limit) < 1) throw new UsageError(`--limit expects a whole number from 1, got ${JSON.stringify(opts.limit)}`);
      if (!opts.all && Number(opts.limit) > MAX_PAGE) {
        throw new UsageError(`--limit is at most ${MAX_PAGE} (the API's page size cap); use --all to list every build, ${MAX_PAGE} per request`);
      }
      const client = await ctx.client(opts);
      // Stream ids are Redis' clock in ms: starting the watch a margin before the listing
      // covers the gap between listing and stream, and clock skew between here and Redis up to it.
      const watchFrom = `${Math.max(0, Date.now() - WATCH_REPLAY_MS)}-0`;
      const query = {
        ...(opts.state ? { state: opts.state as BuildState[] } : {}),
        ...(opts.selector ? { label: opts.selector } : {}),
        ...signal(),
      };
      const items: BuildRecord[] = [];
      let cursor = opts.cursor;
      let nextCursor: string | null = null;
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await client.list({ ...query, limit: opts.all ? MAX_PAGE : Number(opts.limit), ...(cursor !== undefined ? { cursor } : {}) });
        items.push(...res.items);
        nextCursor = res.nextCursor;
        if (!opts.all || nextCursor === null) break;
        cursor = nextCursor;
      }
      if (template !== undefined) {
        io.stdout(renderJsonPath(template, { items }));
      } else if (format === "json" || format === "yaml") {
        io.stdout(printBuilds(items, format, false));
      } else if (items.length === 0) {
        io.stderr("No builds found.\n");
      } else {
        io.stdout(printBuilds(items, format, false, { headers: opts.headers }));
      }
      if (nextCursor !== null) io.stderr(`More builds: ${moreCommand(opts, nextCursor)}\n`);
      if (opts.watch) {
        if (template !== undefined || format === "json" || format === "yaml") throw new UsageError("--watch prints rows: use it with -o table, wide or name");
        const labels = Object.fromEntries((opts.selector ?? []).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
        const matches = (b: BuildRecord): boolean =>
          (opts.state === undefined || opts.state.includes(b.state)) && Object.entries(labels).every(([k, v]) => b.labels[k] === v);
        await watchBuilds(io, client, { since: watchFrom, format, matches, shown: new Map(items.map((b) => [b.id, b.state])) });
      }
    });

  program
    .command("logs")
    .argument("<id>", "build id")
    .description("print a build's log")
    .option("-f, --follow", "keep printing new lines until the build is finished")
    .option("--tail <n>", "only the last n lines (of those --since keeps)")
    .option("--since <duration|time>", "only lines written in the last duration (30s, 5m, 1h30m) or since an RFC 3339 time (2026-12-02T10:00:00Z)")
    .option("--timestamps", "start each line with the time it was written (RFC 3339)")
    .action(async (id: string, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals & { follow?: boolean; tail?: string; since?: string; timestamps?: boolean }>();
      if (opts.tail !== undefined && !/^\d+$/.test(opts.tail)) throw new UsageError(`--tail expects a whole number, got ${JSON.stringify(opts.tail)}`);
      const since = opts.since === undefined ? {} : sinceArg(opts.since);
      const client = await ctx.client(opts);
      try {
        for await (const line of client.logs(buildIdArg(id), {
          follow: opts.follow ?? false,
          ...(opts.tail !== undefined ? { tail: Number(opts.tail) } : {}),
          ...since,
          ...(opts.timestamps ? { timestamps: true } : {}),
          ...signal(),
        })) {
          io.stdout(`${line}\n`);
        }
      } catch (err) {
        if (!io.signal?.aborted) throw err; // Ctrl-C ends a follow normally.
      }
    });

  program
    .command("events")
    .description("build events: one build's from its first to its end (--build), or everyone's as they happen (Ctrl-C stops)")
    .option("--build <id>", "only this build's events: its history, then new ones, ending after it finished")
    .option("-f, --follow", "with --build: only new events, and keep following after the build finished")
    .option("--since <event-id>", "start after this event id (the streamId of -o json output) instead of with new events")
    .option("--count <n>", "exit after this many events")
    .option("-o, --output <format>", "table (one line per event) or json (one CloudEvent per line)")
    .action(async (_o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals & { build?: string; since?: string; count?: string; follow?: boolean }>();
      const format = parseOutput(opts.output);
      if (opts.count !== undefined && !/^[1-9]\d*$/.test(opts.count)) throw new UsageError(`--count expects a positive whole number, got ${JSON.stringify(opts.count)}`);
      if (opts.since !== undefined && !/^\d{1,20}-\d{1,20}$/.test(opts.since)) {
        throw new UsageError(
          `--since expects an event id as printed in the streamId field of \`buildfleet events -o json\` (e.g. 1717243200000-0), got ${JSON.stringify(opts.since)}; for a build's whole history use --build <id> without --since`,
        );
      }
      const build = opts.build === undefined ? undefined : buildIdArg(opts.build);
      const client = await ctx.client(opts);
      let seen = 0;
      try {
        for await (const e of client.events({
          ...(build !== undefined ? { buildId: build } : {}),
          ...(opts.since !== undefined ? { since: opts.since } : {}),
          ...(opts.follow ? { follow: true } : {}),
          ...signal(),
        })) {
          io.stdout(format === "json" ? `${JSON.stringify({ streamId: e.id, ...e.event })}\n` : eventLine(e));
          if (opts.count !== undefined && ++seen >= Number(opts.count)) break;
        }
      } catch (err) {
        if (!io.signal?.aborted) throw err;
      }
    });
}

/** The command that lists the next page: the same filters (the API binds a cursor to them) and the cursor. */
export function moreCommand(opts: { state?: string[]; selector?: string[]; limit: string }, cursor: string): string {
  const quote = (v: string): string => (/^[A-Za-z0-9._:/=@-]+$/.test(v) ? v : `'${v.replace(/'/g, "'\\''")}'`);
  const parts = ["buildfleet ls"];
  for (const s of opts.state ?? []) parts.push(`--state ${quote(s)}`);
  for (const l of opts.selector ?? []) parts.push(`-l ${quote(l)}`);
  parts.push(`--limit ${opts.limit}`, `--cursor ${cursor}`);
  return parts.join(" ");
}
