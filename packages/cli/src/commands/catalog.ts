import { readFile, readdir, stat } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import type { Command } from "commander";
import { parseAllDocuments } from "yaml";
import type { CommandContext } from "../context.js";
import { collect } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { asDocument, parseOutput } from "../output/print.js";
import { graphTree, imagesTable } from "../output/catalog-print.js";

/** apply -f and images ls|get|delete|graph|dependents: the image catalog, with kubectl habits. */

interface Globals {
  server?: string;
  token?: string;
  output?: string;
}

const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** The documents of a file (multi-document YAML), or of every manifest file of a directory, in name order. */
export async function loadManifests(path: string, cwd: string, stdin: () => Promise<string>): Promise<{ source: string; doc: Record<string, unknown> }[]> {
  const read = async (file: string, name: string) => {
    if ((await stat(file)).size > MAX_MANIFEST_BYTES) throw new UsageError(`${name} is larger than ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB`);
    return readFile(file, "utf8");
  };
  let texts: { source: string; text: string }[];
  if (path === "-") texts = [{ source: "stdin", text: await stdin() }];
  else {
    const full = resolve(cwd, path);
    let isDir: boolean;
    try {
      isDir = (await stat(full)).isDirectory();
    } catch (err) {
      throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const files = isDir ? (await readdir(full)).filter((f) => MANIFEST_EXTENSIONS.has(extname(f))).sort().map((f) => join(full, f)) : [full];
    texts = await Promise.all(files.map(async (f) => ({ source: f === full ? path : join(path, f.slice(full.length + 1)), text: await read(f, f) })));
  }
  const out: { source: string; doc: Record<string, unknown> }[] = [];
  for (const { source, text } of texts) {
    for (const [i, document] of parseAllDocuments(text).entries()) {
      if (document.errors.length > 0) throw new UsageError(`${source}: document ${i + 1} is not valid YAML: ${document.errors[0]?.message ?? ""}`);
      const doc: unknown = document.toJS();
      if (doc === null || doc === undefined) continue;
      if (typeof doc !== "object" || Array.isArray(doc)) throw new UsageError(`${source}: document ${i + 1} is not a mapping`);
      out.push({ source, doc: doc as Record<string, unknown> });
    }
  }
  return out;
}

export function registerCatalog(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const signal = (): { signal?: AbortSignal } => (io.signal ? { signal: io.signal } : {});

  program
    .command("apply")
    .description("create or update Images and Schedules from a file or directory (multi-document YAML)")
    .requiredOption("-f, --filename <path>", "a YAML/JSON file, a directory of them, or - for stdin")
    .action(async (_o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals & { filename: string }>();
      const docs = await loadManifests(opts.filename, io.cwd, io.readStdin);
      if (docs.length === 0) throw new UsageError(`${opts.filename} holds no documents`);
      for (const { source, doc } of docs) {
        if (doc["kind"] !== "Image" && doc["kind"] !== "Schedule") throw new UsageError(`${source}: kind ${JSON.stringify(doc["kind"])} is not supported; apply takes kind: Image or Schedule`);
      }
      const client = await ctx.client(opts);
      // Stop at the first refusal, kubectl-style output for each one applied before it.
      for (const { doc } of docs) {
        if (doc["kind"] === "Schedule") {
          const res = await client.schedules.apply(doc, signal());
          io.stdout(`schedule/${res.schedule.metadata.name} ${res.result}\n`);
          continue;
        }
        const res = await client.images.apply(doc, signal());
        io.stdout(`image/${res.image.metadata.name} ${res.result}\n`);
      }
    });

  const images = program.command("images").alias("image").description("the image catalog");

  images
    .command("ls")
    .alias("list")
    .description("list Images")
    .option("-l, --selector <KEY=VALUE>", "only Images with this label (repeatable, all must match)", collect)
    .option("-o, --output <format>", "table, name, json or yaml")
    .action(async (_o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals & { selector?: string[] }>();
      const format = parseOutput(opts.output);
      const items = await (await ctx.client(opts)).images.list({ ...(opts.selector ? { label: opts.selector } : {}), ...signal() });
      if (format === "json" || format === "yaml") io.stdout(asDocument({ items }, format));
      else if (format === "name") io.stdout(items.map((i) => `image/${i.metadata.name}\n`).join(""));
      else if (items.length === 0) io.stderr("No images found.\n");
      else io.stdout(imagesTable(items));
    });

  images
    .command("get")
    .argument("<name>", "Image name")
    .description("show one Image with its bases, dependents and last build")
    .option("-o, --output <format>", "yaml (default) or json")
    .action(async (name: string, _o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals>();
      const format = opts.output ?? "yaml";
      if (format !== "yaml" && format !== "json") throw new UsageError(`-o must be yaml or json, got ${JSON.stringify(format)}`);
      io.stdout(asDocument(await (await ctx.client(opts)).images.get(name, signal()), format));
    });

  images
    .command("delete")
    .argument("<name>", "Image name")
    .description("delete an Image from the catalog")
    .action(async (name: string, _o: unknown, command: Command) => {
      await (await ctx.client(command.optsWithGlobals<Globals>())).images.delete(name, signal());
      io.stdout(`image/${name} deleted\n`);
    });

  images
    .command("graph")
    .description("the FROM graph of the catalog")
    .option("-o, --output <format>", "tree (default), dot or json")
    .action(async (_o: unknown, command: Command) => {
      const opts = command.optsWithGlobals<Globals>();
      const format = opts.output ?? "tree";
      const client = await ctx.client(opts);
      if (format === "dot") io.stdout(await client.images.graphDot(signal()));
      else if (format === "json") io.stdout(asDocument(await client.images.graph(signal()), "json"));
      else if (format === "tree") io.stdout(graphTree(await client.images.graph(signal())));
      else throw new UsageError(`-o must be tree, dot or json, got ${JSON.stringify(format)}`);
    });

  images
    .command("dependents")
    .argument("<ref>", "an Image name or an image reference")
    .description("every catalog image that builds FROM it, directly or not")
    .action(async (ref: string, _o: unknown, command: Command) => {
      const ids = await (await ctx.client(command.optsWithGlobals<Globals>())).images.dependents(ref, signal());
      if (ids.length === 0) io.stderr(`No catalog image builds FROM ${ref}.\n`);
      io.stdout(ids.map((id) => `${id}\n`).join(""));
    });
}

