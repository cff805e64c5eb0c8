import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { UsageError } from "../exit-codes.js";

/**
 * Where the API is and which token to send: flags, then BUILDFLEET_URL /
 * BUILDFLEET_TOKEN, then `.buildfleet/dev.env` (written by `pnpm dev`) in the
 * working directory or a parent of it.
 */

export interface Connection {
  url: string;
  token: string | undefined;
}

export interface ConnectionFlags {
  server?: string | undefined;
  token?: string | undefined;
}

/** Parses KEY=VALUE lines (comments, blank lines, `export ` and surrounding quotes allowed). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^export\s+/, "");
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1);
    out[line.slice(0, eq).trim()] = value;
  }
  return out;
}

export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv, devEnv: Record<string, string> = {}): Connection {
  const url = nonEmpty(flags.server) ?? nonEmpty(env["BUILDFLEET_URL"]) ?? nonEmpty(devEnv["BUILDFLEET_URL"]);
  const token = nonEmpty(flags.token) ?? nonEmpty(env["BUILDFLEET_TOKEN"]) ?? nonEmpty(devEnv["BUILDFLEET_TOKEN"]);
  if (url === undefined) {
    throw new UsageError("no API address: pass --server, set BUILDFLEET_URL, or start the local stack with `pnpm dev`");
  }
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw new UsageError(`the API address must be an http(s) URL, got ${JSON.stringify(url)}`);
  return { url, token };
}

/** Looks for `.buildfleet/dev.env` from `cwd` upwards (bounded by the filesystem root). */
export async function readDevEnv(cwd: string): Promise<Record<string, string>> {
  let dir = cwd;
  for (let i = 0; i < 32; i++) {
    try {
      return parseEnvFile(await readFile(join(dir, ".buildfleet", "dev.env"), "utf8"));
    } catch {
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return {};
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}
