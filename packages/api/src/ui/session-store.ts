import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Keyspace, Redis } from "@buildfleet/shared";
import { z } from "zod";

/**
 * Dashboard sessions in Redis. The browser holds only a random session id (in
 * an HttpOnly cookie); Redis holds the SHA-256 of that id as the key, so a
 * Redis dump yields no usable cookie, and the value names the token by its
 * hash, never the token. The CSRF token is random per session and returned to
 * the page, which echoes it in a header on every state-changing call.
 */

export const SESSION_COOKIE = "buildfleet_session";
export const CSRF_HEADER = "x-csrf-token";
/** How long a session lives without being renewed. */
export const DEFAULT_SESSION_TTL_SECONDS = 12 * 3600;

export const StoredSession = z.strictObject({
  tokenSha256: z.string().regex(/^[0-9a-f]{64}$/),
  csrfToken: z.string().min(32).max(128),
  createdAt: z.iso.datetime(),
});
export type StoredSession = z.infer<typeof StoredSession>;

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

export function sessionKey(ks: Keyspace, sessionId: string): string {
  return `${ks.bullPrefix}:ui-session:${sha256(sessionId)}`;
}

/** Constant-time comparison of a presented CSRF header with the session's token. */
export function csrfMatches(session: StoredSession, presented: string | string[] | undefined): boolean {
  if (typeof presented !== "string") return false;
  const a = Buffer.from(presented, "utf8");
  const b = Buffer.from(session.csrfToken, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface SessionStore {
  create(tokenSha256: string): Promise<{ sessionId: string; session: StoredSession }>;
  read(sessionId: string): Promise<StoredSession | undefined>;
  remove(sessionId: string): Promise<void>;
}

export function createSessionStore(redis: Redis, ks: Keyspace, ttlSeconds = DEFAULT_SESSION_TTL_SECONDS): SessionStore {
  return {
    async create(tokenSha256) {
      // 32 random bytes: base64url without padding is 43 characters.
      const sessionId = randomBytes(32).toString("base64url");
      const session: StoredSession = { tokenSha256, csrfToken: randomBytes(32).toString("base64url"), createdAt: new Date().toISOString() };
      await redis.set(sessionKey(ks, sessionId), JSON.stringify(session), "EX", ttlSeconds);
      return { sessionId, session };
    },
    async read(sessionId) {
      if (!SESSION_ID.test(sessionId)) return undefined;
      const raw = await redis.get(sessionKey(ks, sessionId));
      if (raw === null) return undefined;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        return undefined;
      }
      const parsed = StoredSession.safeParse(value);
      return parsed.success ? parsed.data : undefined;
    },
    async remove(sessionId) {
      if (SESSION_ID.test(sessionId)) await redis.del(sessionKey(ks, sessionId));
    },
  };
}
