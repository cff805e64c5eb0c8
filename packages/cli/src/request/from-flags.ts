import { UsageError } from "../exit-codes.js";

/**
 * `buildfleet submit` flags → a BuildRequest document (plain data; the API
 * validates it). Flags given together with `-f` override the file's fields;
 * repeatable map flags (--build-arg, --label, --image-label) merge into them.
 */

export interface SubmitFlags {
  file?: string;
  contextDir?: string;
  pvc?: string;
  git?: string;
  gitRef?: string;
  gitCommit?: string;
  subPath?: string;
  tarball?: string;
  dockerfile?: string;
  dockerfileInline?: string;
  target?: string;
  destination?: string[];
  buildArg?: string[];
  label?: string[];
  imageLabel?: string[];
  secret?: string;
  retries?: string;
  priority?: string;
  idempotencyKey?: string;
  cache?: boolean;
  cacheRepo?: string;
}

export type RequestDoc = Record<string, unknown>;

/** `K=V` pairs into a map; the value may itself contain '='. */
export function parsePairs(pairs: readonly string[] | undefined, flag: string): Record<string, string> | undefined {
  if (pairs === undefined || pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`${flag} expects KEY=VALUE, got ${JSON.stringify(pair)}`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** `claim:path` (path defaults to "."). */
export function parsePvc(value: string): { claimName: string; path: string } {
  const colon = value.indexOf(":");
  const claimName = colon === -1 ? value : value.slice(0, colon);
  const path = colon === -1 ? "." : value.slice(colon + 1);
  if (claimName === "") throw new UsageError(`--pvc expects CLAIM[:PATH], got ${JSON.stringify(value)}`);
  return { claimName, path: path === "" ? "." : path };
}

function wholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} expects a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

/**
 * Builds the request. `base` is the parsed `-f` file (or {}), `contextFiles`
 * the files read from --context-dir (read by the caller: this stays pure).
 */
export function requestFromFlags(flags: SubmitFlags, base: RequestDoc = {}, contextFiles?: Record<string, string>): RequestDoc {
  const doc: RequestDoc = { ...base };
  const contexts = [flags.contextDir, flags.pvc, flags.git, flags.tarball].filter((c) => c !== undefined);
  if (contexts.length > 1) throw new UsageError("give one of --context-dir, --pvc, --git, --tarball");
  if (flags.pvc !== undefined) doc["context"] = { type: "volume", ...parsePvc(flags.pvc) };
  if (flags.git !== undefined) {
    doc["context"] = {
      type: "git",
      url: flags.git,
      ...(flags.gitRef !== undefined ? { ref: flags.gitRef } : {}),
      ...(flags.gitCommit !== undefined ? { commit: flags.gitCommit } : {}),
      ...(flags.subPath !== undefined ? { subPath: flags.subPath } : {}),
    };
  } else if (flags.gitRef !== undefined || flags.gitCommit !== undefined || flags.subPath !== undefined) {
    throw new UsageError("--git-ref, --git-commit and --sub-path need --git");
  }
  if (flags.tarball !== undefined) doc["context"] = { type: "tarball", url: flags.tarball };
  if (flags.contextDir !== undefined) doc["context"] = { type: "inline", files: contextFiles ?? {} };

  if (flags.dockerfile !== undefined && flags.dockerfileInline !== undefined) {
    throw new UsageError("give --dockerfile or --dockerfile-inline, not both");
  }
  if (flags.dockerfile !== undefined) doc["dockerfile"] = { path: flags.dockerfile };
  if (flags.dockerfileInline !== undefined) {
    doc["dockerfile"] = { inline: flags.dockerfileInline };
    // A Dockerfile-only build (a mirror) needs no files.
    doc["context"] ??= { type: "inline", files: {} };
  }
  if (flags.target !== undefined) doc["target"] = flags.target;
  if (flags.destination !== undefined && flags.destination.length > 0) doc["destinations"] = [...flags.destination];
  mergeMap(doc, "buildArgs", parsePairs(flags.buildArg, "--build-arg"));
  mergeMap(doc, "labels", parsePairs(flags.label, "--label"));
  mergeMap(doc, "imageLabels", parsePairs(flags.imageLabel, "--image-label"));
  if (flags.secret !== undefined) doc["registryCredentials"] = { secretName: flags.secret };
  if (flags.retries !== undefined) doc["retries"] = wholeNumber(flags.retries, "--retries");
  if (flags.priority !== undefined) doc["priority"] = flags.priority;
  if (flags.idempotencyKey !== undefined) doc["idempotencyKey"] = flags.idempotencyKey;
  if (flags.cache !== undefined || flags.cacheRepo !== undefined) {
    const cache = typeof doc["cache"] === "object" && doc["cache"] !== null ? (doc["cache"] as RequestDoc) : {};
    doc["cache"] = { ...cache, enabled: flags.cache ?? true, ...(flags.cacheRepo !== undefined ? { repository: flags.cacheRepo } : {}) };
  }
  // With -f the API judges the whole document (and names every bad field); flags alone are checked here.
  if (Object.keys(base).length > 0) return doc;
  if (doc["context"] === undefined) {
    throw new UsageError("no build context: give -f FILE, or one of --context-dir, --pvc, --git, --tarball, --dockerfile-inline");
  }
  if (!Array.isArray(doc["destinations"]) || doc["destinations"].length === 0) {
    throw new UsageError("no destination: give --destination REGISTRY/REPOSITORY:TAG (repeatable) or destinations in -f FILE");
  }
  return doc;
}

function mergeMap(doc: RequestDoc, key: string, add: Record<string, string> | undefined): void {
  if (add === undefined) return;
  const existing = typeof doc[key] === "object" && doc[key] !== null ? (doc[key] as Record<string, string>) : {};
  doc[key] = { ...existing, ...add };
}
