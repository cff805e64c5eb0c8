import { createHash } from "node:crypto";
import { ConfigError, Tenant, type FieldIssue, formatPath } from "@buildfleet/contract";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/**
 * API tokens. Only the SHA-256 of each token is configured or kept in memory:
 * a leaked token file does not leak usable tokens. A presented token is hashed
 * and looked up by its hash, so the comparison never branches on the secret.
 */

export const SCOPES = ["submit", "read", "cancel", "admin"] as const;
export const Scope = z.enum(SCOPES);
export type Scope = z.infer<typeof Scope>;

export const RateLimit = z.strictObject({
  max: z.number().int().min(1).max(1_000_000),
  timeWindowMs: z.number().int().min(1_000).max(24 * 3600 * 1000),
});
export type RateLimit = z.infer<typeof RateLimit>;

export const TokenEntry = z.strictObject({
  tenant: Tenant,
  tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, { error: "expected the token's SHA-256 as 64 lowercase hex digits" }),
  scopes: z.array(Scope).min(1, { error: "give at least one scope: submit, read, cancel or admin" }),
  /** `registry[:port]` or `registry[:port]/repository-prefix`. */
  registries: z.array(z.string().min(1).max(512)).default([]),
  /** Names of Kubernetes Secrets the tenant may use as registry credentials. */
  secrets: z.array(z.string().min(1).max(253)).default([]),
  /** Names of PersistentVolumeClaims the tenant may mount as a volume context. */
  claims: z.array(z.string().min(1).max(253)).default([]),
  /**
   * Hosts (`git.internal`, `*.corp.example`) a git or https context may name even
   * though they resolve to loopback or private addresses; public hosts need no entry.
   */
  contextHosts: z.array(z.string().min(1).max(253)).optional(),
  rateLimit: RateLimit.optional(),
  /** Fair-share weight of the tenant inside a lane (default 1): weight 2 is admitted twice as often. */
  weight: z.number().min(0.1).max(12).optional(),
  /** Most builds of the tenant running at once across the fleet. */
  maxRunning: z.number().int().min(1).max(100_000).optional(),
  /** Most builds of the tenant waiting in the queue; a submit beyond it is answered 429. */
  maxQueued: z.number().int().min(1).max(1_000_000).optional(),
});
export type TokenEntry = z.infer<typeof TokenEntry>;

export const TokenList = z.array(TokenEntry);

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export class TokenTable {
  private readonly byHash: ReadonlyMap<string, TokenEntry>;

  constructor(entries: readonly TokenEntry[]) {
    const map = new Map<string, TokenEntry>();
    for (const entry of entries) {
      if (map.has(entry.tokenSha256)) {
        throw new ConfigError(`the token list holds the same tokenSha256 twice (tenant ${entry.tenant})`);
      }
      map.set(entry.tokenSha256, entry);
    }
    this.byHash = map;
  }

  get size(): number {
    return this.byHash.size;
  }

  /** The entry of a presented (plain) token, if any. */
  lookup(token: string): TokenEntry | undefined {
    return this.byHash.get(hashToken(token));
  }

  /** The entry of a token known by its SHA-256 (a dashboard session); undefined once the token is removed. */
  lookupHash(tokenSha256: string): TokenEntry | undefined {
    return this.byHash.get(tokenSha256);
  }
}

/** Parses a YAML or JSON token list (JSON is YAML); throws ConfigError naming each bad entry. */
export function parseTokenList(text: string, source: string): TokenEntry[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${source}: not valid YAML or JSON: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }
  // Accept `{ tokens: [...] }` as well as a bare list: both read naturally in YAML.
  const list = typeof raw === "object" && raw !== null && !Array.isArray(raw) && "tokens" in raw ? raw.tokens : raw;
  const parsed = TokenList.safeParse(list ?? []);
  if (!parsed.success) {
    const problems: FieldIssue[] = parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    throw new ConfigError(
      `${source}: invalid token list: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
      { problems },
    );
  }
  return parsed.data;
}

/** Tokens from the file and/or the env variable (both may be set; entries are combined). */
export function loadTokens(
  api: { tokensFile: string | undefined; tokens: string | undefined },
  readFile: (path: string) => string,
): TokenTable {
  const entries: TokenEntry[] = [];
  if (api.tokensFile !== undefined) {
    let text: string;
    try {
      text = readFile(api.tokensFile);
    } catch (err) {
      throw new ConfigError(`BUILDFLEET_TOKENS_FILE: cannot read ${api.tokensFile}: ${(err as { code?: string }).code ?? String(err)}`);
    }
    entries.push(...parseTokenList(text, `BUILDFLEET_TOKENS_FILE (${api.tokensFile})`));
  }
  if (api.tokens !== undefined) entries.push(...parseTokenList(api.tokens, "BUILDFLEET_TOKENS"));
  return new TokenTable(entries);
}
