// PURE: reads the Kaniko executor arguments buildfleet renders into what a real
// build needs. Every flag is either honoured or refused by name: nothing is
// silently ignored.

export type KanikoContext =
  | { kind: "dir"; path: string }
  | { kind: "tar"; url: string }
  | { kind: "git"; repository: string; ref?: string; commit?: string };

export interface KanikoBuild {
  context: KanikoContext;
  contextSubPath?: string;
  /** As given: absolute for dir contexts, else relative to the (sub-path of the) context. */
  dockerfile: string;
  destinations: string[];
  buildArgs: string[];
  target?: string;
  labels: string[];
  noPush: boolean;
  cache: boolean;
  cacheRepo?: string;
  cacheTtl?: string;
  pushRetry: number;
  digestFile?: string;
}

export class UnsupportedKanikoFlag extends Error {
  readonly code = "KANIKO_FLAG_UNSUPPORTED";
  constructor(
    readonly flag: string,
    why: string,
  ) {
    super(`kubesim buildah executor: cannot honour ${flag}: ${why}`);
    this.name = "UnsupportedKanikoFlag";
  }
}

/** Flags that change how Kaniko snapshots, not what it builds: buildah has no such step. */
const NO_EFFECT = new Set(["--snapshot-mode", "--compressed-caching", "--cleanup", "--log-format", "--log-timestamp", "--verbosity", "--single-snapshot", "--use-new-run"]);
const VALUE_FLAGS = new Set([
  "--context", "--context-sub-path", "--dockerfile", "--destination", "--build-arg", "--target", "--label",
  "--cache", "--cache-repo", "--cache-ttl", "--push-retry", "--digest-file", "--no-push",
  ...NO_EFFECT,
]);
const SHORT: Record<string, string> = { "-c": "--context", "-f": "--dockerfile", "-d": "--destination" };
/** Flags that are booleans when written without `=value`. */
const BOOLEAN = new Set(["--no-push", "--cache", "--cleanup", "--single-snapshot", "--use-new-run", "--compressed-caching", "--log-timestamp"]);

function splitArgs(args: readonly string[]): { flag: string; value: string }[] {
  const out: { flag: string; value: string }[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (!arg.startsWith("-")) throw new UnsupportedKanikoFlag(arg, "positional arguments are not Kaniko executor arguments");
    const eq = arg.indexOf("=");
    const rawFlag = eq === -1 ? arg : arg.slice(0, eq);
    const flag = SHORT[rawFlag] ?? rawFlag;
    if (!VALUE_FLAGS.has(flag)) throw new UnsupportedKanikoFlag(flag, "this flag is not supported by kubesim's buildah executor");
    if (eq !== -1) out.push({ flag, value: arg.slice(eq + 1) });
    else if (BOOLEAN.has(flag) && (i + 1 >= args.length || (args[i + 1] ?? "").startsWith("-"))) out.push({ flag, value: "true" });
    else {
      if (i + 1 >= args.length) throw new UnsupportedKanikoFlag(flag, "it needs a value");
      out.push({ flag, value: args[i + 1] ?? "" });
      i++;
    }
  }
  return out;
}

function bool(flag: string, value: string): boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  throw new UnsupportedKanikoFlag(flag, `"${value}" is not true or false`);
}

/** kaniko's context forms, as buildfleet renders them (see packages/worker/src/kaniko/render-parts.ts). */
export function parseContext(value: string): KanikoContext {
  if (value.startsWith("dir://")) return { kind: "dir", path: value.slice("dir://".length) };
  if (value.startsWith("/")) return { kind: "dir", path: value };
  if (/^https?:\/\/.+/.test(value)) return { kind: "tar", url: value };
  if (value.startsWith("git://")) {
    const [repository = "", ...fragment] = value.slice("git://".length).split("#");
    const ref = fragment[0] !== undefined && fragment[0] !== "" ? fragment[0] : undefined;
    const commit = fragment[1] !== undefined && fragment[1] !== "" ? fragment[1] : undefined;
    return { kind: "git", repository, ...(ref !== undefined ? { ref } : {}), ...(commit !== undefined ? { commit } : {}) };
  }
  throw new UnsupportedKanikoFlag("--context", `"${value}" is not a dir://, http(s):// tarball or git:// context`);
}

export function parseKanikoArgs(args: readonly string[]): KanikoBuild {
  let context: KanikoContext | undefined;
  const build: Omit<KanikoBuild, "context"> = {
    dockerfile: "Dockerfile",
    destinations: [],
    buildArgs: [],
    labels: [],
    noPush: false,
    cache: false,
    pushRetry: 0,
  };
  for (const { flag, value } of splitArgs(args)) {
    switch (flag) {
      case "--context":
        context = parseContext(value);
        break;
      case "--context-sub-path":
        build.contextSubPath = value;
        break;
      case "--dockerfile":
        build.dockerfile = value;
        break;
      case "--destination":
        build.destinations.push(value);
        break;
      case "--build-arg":
        if (!value.includes("=")) throw new UnsupportedKanikoFlag(flag, `"${value}" has no =value (an ARG from the environment does not exist here)`);
        build.buildArgs.push(value);
        break;
      case "--target":
        build.target = value;
        break;
      case "--label":
        build.labels.push(value);
        break;
      case "--no-push":
        build.noPush = bool(flag, value);
        break;
      case "--cache":
        build.cache = bool(flag, value);
        break;
      case "--cache-repo":
        build.cacheRepo = value;
        break;
      case "--cache-ttl":
        build.cacheTtl = value;
        break;
      case "--push-retry": {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0 || n > 100) throw new UnsupportedKanikoFlag(flag, `"${value}" is not a count between 0 and 100`);
        build.pushRetry = n;
        break;
      }
      case "--digest-file":
        build.digestFile = value;
        break;
      default:
        // NO_EFFECT flags: accepted, nothing to translate.
        break;
    }
  }
  if (context === undefined) throw new UnsupportedKanikoFlag("--context", "no build context given");
  if (build.destinations.length === 0 && !build.noPush) throw new UnsupportedKanikoFlag("--destination", "no destination and no --no-push");
  return { context, ...build };
}
