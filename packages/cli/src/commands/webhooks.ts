import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { DeliveryState, DeliveryView, WebhookSpecInput, WebhookView } from "@buildfleet/sdk";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { collect, type CommandContext } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { asDocument, parseOutput, type OutputFormat } from "../output/print.js";
import { formatAge, renderTable } from "../output/table.js";

/** webhooks apply|ls|get|delete|rotate-secret|deliveries|redeliver. */

interface Globals {
  server?: string;
  token?: string;
  output?: string;
}

interface ApplyFlags extends Globals {
  file?: string;
  url?: string;
  event?: string[];
  selector?: string[];
  binary?: boolean;
}

function keyValues(pairs: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const at = p.indexOf("=");
    if (at <= 0) throw new UsageError(`${flag} expects KEY=VALUE, got ${JSON.stringify(p)}`);
    out[p.slice(0, at)] = p.slice(at + 1);
  }
  return out;
}

/** The spec from -f (YAML or JSON), with flags overriding its fields. */
async function specFrom(flags: ApplyFlags, cwd: string): Promise<WebhookSpecInput> {
  let base: Partial<WebhookSpecInput> = {};
  if (flags.file !== undefined) {
    const text = await readFile(resolve(cwd, flags.file), "utf8");
    const doc: unknown = parseYaml(text);
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new UsageError(`${flags.file}: expected a mapping with url and events`);
    base = doc;
  }
  const spec: Partial<WebhookSpecInput> = { ...base };
  if (flags.url !== undefined) spec.url = flags.url;
  if (flags.event !== undefined) spec.events = flags.event.flatMap((e) => e.split(",")).filter((e) => e !== "");
  if (flags.selector !== undefined) spec.selector = keyValues(flags.selector, "--selector");
  if (flags.binary === true) spec.mode = "binary";
  if (spec.url === undefined) throw new UsageError("give the receiver's --url (or url: in -f)");
  if (spec.events === undefined) throw new UsageError("give at least one --event, e.g. --event build.succeeded (or events: in -f)");
  return { ...spec, url: spec.url, events: spec.events };
}

function webhooksTable(list: readonly WebhookView[], now = Date.now()): string {
  return renderTable(
    ["NAME", "URL", "EVENTS", "MODE", "AGE"],
    list.map((w) => [w.name, w.url, w.events.join(","), w.mode, formatAge(w.createdAt, now)]),
  );
}

function deliveriesTable(list: readonly DeliveryView[], now = Date.now()): string {
  return renderTable(
    ["ID", "EVENT", "BUILD", "STATE", "ATTEMPTS", "STATUS", "AGE", "ERROR"],
    list.map((d) => [d.id, d.eventType, d.buildId, d.state, String(d.attempts), d.lastStatus === undefined ? "" : String(d.lastStatus), formatAge(d.createdAt, now), d.lastError ?? ""]),
  );
}

function print(value: unknown, format: OutputFormat, table: () => string): string {
  return format === "json" || format === "yaml" ? asDocument(value, format) : table();
}

const DELIVERY_STATES: readonly string[] = ["pending", "delivered", "dead"];

export function registerWebhooks(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const signal = (): { signal?: AbortSignal } => (io.signal ? { signal: io.signal } : {});
  const hooks = program.command("webhooks").description("signed CloudEvents webhooks of your tenant, and their deliveries");

  hooks
    .command("apply")
    .argument("<name>", "webhook name (lowercase letters, digits, '-')")
    .description("create or update a webhook; on create prints the signing secret, which is shown only once")
    .option("-f, --file <path>", "YAML or JSON with url, events, selector, mode")
    .option("--url <url>", "receiver URL (https)")
    .option("--event <type>", "event type or family: build.succeeded, build.*, rebuild.*, * (repeatable, or comma-separated)", collect)
    .option("--selector <KEY=VALUE>", "only builds with this label (repeatable; all must match)", collect)
    .option("--binary", "CloudEvents binary mode (ce-* headers, data as body) instead of structured")
    .option("-o, --output <format>", "table, json or yaml")
    .action(async (name: string, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<ApplyFlags>();
      const format = parseOutput(opts.output);
      const spec = await specFrom(opts, io.cwd);
      const result = await (await ctx.client(opts)).webhooks.apply(name, spec, signal());
      if (format === "json" || format === "yaml") {
        io.stdout(asDocument(result, format));
        return;
      }
      io.stdout(`webhook/${name} ${result.created ? "created" : "configured"}\n`);
      if (result.secret !== undefined) io.stdout(`signing secret (shown only now; store it with the receiver): ${result.secret}\n`);
    });

  hooks
    .command("ls")
    .description("list your webhooks")
    .option("-o, --output <format>", "table, json or yaml")
    .action(async (_o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals>();
      const list = await (await ctx.client(opts)).webhooks.list(signal());
      io.stdout(print(list, parseOutput(opts.output), () => webhooksTable(list)));
    });

  hooks
    .command("get")
    .argument("<name>", "webhook name")
    .description("show a webhook (never its secret)")
    .option("-o, --output <format>", "table, json or yaml")
    .action(async (name: string, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals>();
      const w = await (await ctx.client(opts)).webhooks.get(name, signal());
      io.stdout(print(w, parseOutput(opts.output), () => webhooksTable([w])));
    });

  hooks
    .command("delete")
    .argument("<name>", "webhook name")
    .description("delete a webhook; its pending deliveries are dropped")
    .action(async (name: string, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals>();
      await (await ctx.client(opts)).webhooks.delete(name, signal());
      io.stdout(`webhook/${name} deleted\n`);
    });

  hooks
    .command("rotate-secret")
    .argument("<name>", "webhook name")
    .description("new signing secret (shown once); the old one keeps signing during the grace period")
    .option("--grace <seconds>", "how long the old secret still signs (default 86400)")
    .option("-o, --output <format>", "table, json or yaml")
    .action(async (name: string, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals & { grace?: string }>();
      const format = parseOutput(opts.output);
      const grace = opts.grace === undefined ? undefined : Number(opts.grace);
      if (grace !== undefined && !Number.isInteger(grace)) throw new UsageError(`--grace expects whole seconds, got ${JSON.stringify(opts.grace)}`);
      const result = await (await ctx.client(opts)).webhooks.rotateSecret(name, { ...signal(), ...(grace !== undefined ? { graceSeconds: grace } : {}) });
      if (format === "json" || format === "yaml") io.stdout(asDocument(result, format));
      else {
        io.stdout(`webhook/${name} secret rotated${result.webhook.previousSecretExpiresAt ? `; the previous one signs until ${result.webhook.previousSecretExpiresAt}` : ""}\n`);
        io.stdout(`signing secret (shown only now): ${result.secret ?? ""}\n`);
      }
    });

  hooks
    .command("deliveries")
    .argument("<name>", "webhook name")
    .description("the webhook's delivery log, newest first (--state dead lists the dead letters)")
    .option("--state <state>", "pending, delivered or dead")
    .option("--limit <n>", "at most this many (default 100)")
    .option("-o, --output <format>", "table, json or yaml")
    .action(async (name: string, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals & { state?: string; limit?: string }>();
      if (opts.state !== undefined && !DELIVERY_STATES.includes(opts.state)) {
        throw new UsageError(`--state expects pending, delivered or dead, got ${JSON.stringify(opts.state)}`);
      }
      const list = await (await ctx.client(opts)).webhooks.deliveries(name, {
        ...signal(),
        ...(opts.state !== undefined ? { state: opts.state as DeliveryState } : {}),
        ...(opts.limit !== undefined ? { limit: Number(opts.limit) } : {}),
      });
      io.stdout(print(list, parseOutput(opts.output), () => deliveriesTable(list)));
    });

  hooks
    .command("redeliver")
    .argument("<id>", "delivery id (msg_…), from `webhooks deliveries`")
    .description("send a delivery again with the same webhook-id")
    .option("-o, --output <format>", "table, json or yaml")
    .action(async (id: string, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals>();
      const d = await (await ctx.client(opts)).webhooks.redeliver(id, signal());
      io.stdout(print(d, parseOutput(opts.output), () => `delivery/${id} queued again\n`));
    });

  for (const sub of hooks.commands) sub.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
}
