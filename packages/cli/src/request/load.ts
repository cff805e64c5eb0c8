import { readFile, readdir, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { parse, parseAllDocuments } from "yaml";
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
  const docs = await loadRequestFiles(path, cwd, stdin);
  if (docs.length !== 1) throw new UsageError(`${path === "-" ? "stdin" : path} holds ${docs.length} requests; expected one`);
  return docs[0] as RequestDoc;
}

/** At most this many requests per file: a bulk submit is still one command a person watches. */
export const MAX_DOCUMENTS = 500;

/**
 * Every request in a file: one mapping, several YAML documents (`---`), or a
 * list of mappings. Each must be a mapping; the message names the bad one.
 */
export function parseRequestDocuments(text: string, name: string): RequestDoc[] {
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const parsed: unknown[] = [];
  for (const [i, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
    if (doc.errors.length > 0) {
      throw new UsageError(`${name} is not valid YAML or JSON${docs.length > 1 ? ` (document ${i + 1})` : ""}: ${doc.errors[0]?.message ?? "parse error"}`);
    }
    const value: unknown = doc.toJS();
    // An empty document (a trailing `---`) is no request.
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) parsed.push(...(value as unknown[]));
    else parsed.push(value);
  }
  if (parsed.length === 0) throw new UsageError(`${name} holds no request`);
  if (parsed.length > MAX_DOCUMENTS) throw new UsageError(`${name} holds ${parsed.length} requests; at most ${MAX_DOCUMENTS} per file`);
  return parsed.map((doc, i) => {
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
      throw new UsageError(`${name}${parsed.length > 1 ? ` request ${i + 1}` : ""} must be a request (a mapping with context, destinations, …)`);
    }
    return doc as RequestDoc;
  });
}

export async function loadRequestFiles(path: string, cwd: string, stdin: () => Promise<string>): Promise<RequestDoc[]> {
  if (path === "-") return parseRequestDocuments(await stdin(), "stdin");
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseRequestDocuments(text, path);
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
