import { BuildfleetError } from "../errors/index.js";

/**
 * The one module that talks to image registries for change detection: the
 * current digest of a tag via a manifest HEAD (OCI distribution API). A HEAD
 * is not a pull on Docker Hub, so a skipped firing costs no pull quota.
 *
 * Handles the two challenge flows a registry may answer 401 with: `Basic`
 * (send the credentials) and `Bearer realm=…,service=…,scope=…` (fetch a token
 * from the realm, anonymously or with the credentials, then retry). A 429 is
 * waited out for its `Retry-After` (bounded); a 5xx is retried with backoff
 * and then reported with the registry's status.
 */

export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface HeadOptions {
  credentials?: RegistryCredentials;
  /** Hosts spoken to over plain http (default: loopback addresses only). */
  plainHttp?: (host: string) => boolean;
  timeoutMs?: number;
  /** Attempts for 429 and 5xx answers together (default 4). */
  maxAttempts?: number;
  /** Longest Retry-After honoured; a longer one fails the check (default 60 s). */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
  /**
   * Called when the registry says it has no requests left (`ratelimit-remaining: 0`
   * on any answer, or a 429), with how long to leave it alone: the scheduler
   * holds the host's fleet-wide budget for that long.
   */
  onRateLimited?: (holdMs: number) => Promise<void>;
}

export class RegistryError extends BuildfleetError {
  constructor(
    message: string,
    readonly status: number | undefined,
    retryable: boolean,
  ) {
    super(status === 429 ? "RATE_LIMITED" : "INFRASTRUCTURE", message, { retryable, details: status === undefined ? {} : { status } });
    this.name = "RegistryError";
  }
}

export interface SourceRef {
  /** Registry host as image references name it; `docker.io` means registry-1.docker.io. */
  registry: string;
  repository: string;
  tag: string;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/;

function baseUrl(registry: string, plainHttp: (host: string) => boolean): string {
  const host = registry === "docker.io" ? "registry-1.docker.io" : registry;
  return `${plainHttp(host) ? "http" : "https"}://${host}`;
}

/** `Bearer realm="…",service="…",scope="…"` → its parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(" ");
  const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) params[m[1]!.toLowerCase()] = m[2]!;
  return { scheme, params };
}

/** Retry-After in ms: seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Longest hold a rate-limit header may put on a host (Docker Hub's window is six hours; a check an hour late is late enough). */
export const MAX_RATE_LIMIT_HOLD_MS = 3_600_000;

const firstNumber = (value: string | null): number | undefined => {
  const m = value === null ? null : /^\s*(\d+)/.exec(value);
  return m === null ? undefined : Number(m[1]);
};

/**
 * How long to leave a registry alone after this answer, from the rate-limit
 * headers (IETF RateLimit draft and Docker Hub's `ratelimit-remaining: 0;w=21600`):
 * undefined while requests remain. A 429 always holds: its Retry-After, else the
 * reset, else `fallbackMs`.
 */
export function rateLimitHoldMs(status: number, headers: { get(name: string): string | null }, now: number = Date.now(), fallbackMs = 60_000): number | undefined {
  const remaining = firstNumber(headers.get("ratelimit-remaining"));
  if (status !== 429 && remaining !== 0) return undefined;
  const resetSeconds = firstNumber(headers.get("ratelimit-reset"));
  const window = /;\s*w=(\d+)/.exec(headers.get("ratelimit-remaining") ?? "")?.[1];
  const hold =
    (status === 429 ? retryAfterMs(headers.get("retry-after"), now) : undefined) ??
    (resetSeconds !== undefined ? resetSeconds * 1000 : undefined) ??
    retryAfterMs(headers.get("retry-after"), now) ??
    (window !== undefined ? Number(window) * 1000 : fallbackMs);
  return Math.min(hold, MAX_RATE_LIMIT_HOLD_MS);
}

function basic(c: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}

/** The `Docker-Content-Digest` of `repository:tag`. Throws RegistryError (404 included) when there is none. */
export async function headManifestDigest(ref: SourceRef, options: HeadOptions = {}): Promise<string> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 4;
  const url = `${baseUrl(ref.registry, options.plainHttp ?? ((h) => LOOPBACK.test(h)))}/v2/${ref.repository}/manifests/${ref.tag}`;
  const what = `${ref.registry}/${ref.repository}:${ref.tag}`;
  let authorization: string | undefined;
  let challenged = false;
  for (let attempt = 1; ; attempt++) {
    const headers: Record<string, string> = { accept: MANIFEST_ACCEPT };
    if (authorization !== undefined) headers["authorization"] = authorization;
    let res: Response;
    try {
      res = await doFetch(url, { method: "HEAD", headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      if (attempt >= maxAttempts) throw new RegistryError(`HEAD ${what} failed: ${(err as Error).message}`, undefined, true);
      await sleep(backoffMs(attempt));
      continue;
    }
    const hold = rateLimitHoldMs(res.status, res.headers);
    if (hold !== undefined) await options.onRateLimited?.(hold);
    if (res.ok) {
      const digest = res.headers.get("docker-content-digest");
      if (digest === null || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new RegistryError(`HEAD ${what} answered without a Docker-Content-Digest`, res.status, false);
      return digest;
    }
    if (res.status === 401 && !challenged) {
      challenged = true;
      authorization = await answerChallenge(res.headers.get("www-authenticate"), options.credentials, doFetch, timeoutMs, what);
      attempt--; // the challenge round trip is not a failed attempt
      continue;
    }
    if (res.status === 404) throw new RegistryError(`${what} does not exist (HEAD answered 404)`, 404, false);
    if (res.status === 429 || res.status >= 500) {
      if (attempt >= maxAttempts) throw new RegistryError(`HEAD ${what} answered ${res.status} after ${attempt} attempts`, res.status, true);
      const wait = res.status === 429 ? (retryAfterMs(res.headers.get("retry-after")) ?? backoffMs(attempt)) : backoffMs(attempt);
      if (wait > (options.maxRetryAfterMs ?? 60_000)) throw new RegistryError(`HEAD ${what} answered 429 with Retry-After ${Math.round(wait / 1000)} s, longer than allowed`, 429, true);
      await sleep(wait);
      continue;
    }
    throw new RegistryError(`HEAD ${what} answered ${res.status}`, res.status, false);
  }
}

function backoffMs(attempt: number): number {
  return Math.min(10_000, 250 * 2 ** (attempt - 1));
}

async function answerChallenge(header: string | null, credentials: RegistryCredentials | undefined, doFetch: typeof fetch, timeoutMs: number, what: string): Promise<string> {
  const challenge = parseChallenge(header ?? "");
  if (challenge.scheme === "basic") {
    if (credentials === undefined) throw new RegistryError(`${what} needs credentials (Basic challenge)`, 401, false);
    return basic(credentials);
  }
  if (challenge.scheme !== "bearer" || challenge.params["realm"] === undefined) throw new RegistryError(`${what} answered 401 without a usable challenge`, 401, false);
  const tokenUrl = new URL(challenge.params["realm"]);
  for (const key of ["service", "scope"]) {
    const v = challenge.params[key];
    if (v !== undefined) tokenUrl.searchParams.set(key, v);
  }
  const res = await doFetch(tokenUrl, { headers: credentials === undefined ? {} : { authorization: basic(credentials) }, signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new RegistryError(`token request for ${what} answered ${res.status}`, res.status, res.status >= 500);
  const body = (await res.json()) as { token?: unknown; access_token?: unknown };
  const token = typeof body.token === "string" ? body.token : typeof body.access_token === "string" ? body.access_token : undefined;
  if (token === undefined) throw new RegistryError(`token answer for ${what} holds no token`, res.status, false);
  return `Bearer ${token}`;
}
