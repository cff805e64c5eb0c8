import { readFile, readdir, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { parse } from "yaml";
import { UsageError } from "../exit-codes.js";
import type { RequestDoc } from "./from-flags.js";

/** Reading request files and --context-dir from disk, with bounds. */

/** Limits mirror the API's inline-context limits so the user hears early. */
const MAX_FILES = 32;
const MAX_BYTES = 512 * 1024;
const SKIP = new Set([".git", "node_modules", ".buildfleet"]);

/** Parses a YAML or JSON request (JSON is YAML); the document must be a mapping. */
export function parseRequestText(text: string, name: string): RequestDoc {
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: true });
  } catch (err) {
    throw new UsageError(`${name} is not valid YAML or JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new UsageError(`${name} must hold one request (a mapping with context, destinations, …)`);
  }
  return doc as RequestDoc;
}

export async function loadRequestFile(path: string, cwd: string, stdin: () => Promise<string>): Promise<RequestDoc> {
  if (path === "-") return parseRequestText(await stdin(), "stdin");
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseRequestText(text, path);
}

/** Reads a local directory as inline context files (relative names with '/'). */
export async function readContextDir(dir: string, cwd: string): Promise<Record<string, string>> {
  const root = resolve(cwd, dir);
  const files: Record<string, string> = {};
  let bytes = 0;
  const walk = async (current: string, depth: number): Promise<void> => {
    if (depth > 16) throw new UsageError(`--context-dir ${dir} is nested too deeply`);
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch (err) {
      throw new UsageError(`cannot read --context-dir ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (SKIP.has(entry.name)) continue;
      const full = join(current, entry.name);
      if (entry.isDirectory()) await walk(full, depth + 1);
      else if (entry.isFile()) {
        if (Object.keys(files).length >= MAX_FILES || bytes + (await stat(full)).size > MAX_BYTES) {
          throw new UsageError(
            `--context-dir ${dir} holds more than ${MAX_FILES} files or ${MAX_BYTES / 1024} KiB; use --pvc, --git or --tarball for larger contexts`,
          );
        }
        const content = await readFile(full, "utf8");
        bytes += Buffer.byteLength(content);
        files[relative(root, full).split(sep).join("/")] = content;
      }
    }
  };
  await walk(root, 0);
  return files;
}
