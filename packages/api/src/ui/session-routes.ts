import { ForbiddenError, UnauthorizedError, ValidationError, toFieldIssues } from "@buildfleet/contract";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { TokenEntry, TokenTable } from "../auth/tokens.js";
import { hashToken } from "../auth/tokens.js";
import { CSRF_HEADER, SESSION_COOKIE, csrfMatches, type SessionStore, type StoredSession } from "./session-store.js";

export const SessionRequest = z.strictObject({
  token: z.string({ error: "expected the API token as a string" }).min(1, { error: "give the API token" }).max(4096),
});

/** What the page learns about its session: never the token. */
export const SessionView = z.strictObject({
  tenant: z.string(),
  scopes: z.array(z.string()),
  csrfToken: z.string(),
  csrfHeader: z.literal(CSRF_HEADER),
});
export type SessionView = z.infer<typeof SessionView>;

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Sign-in attempts allowed per client address. */
export const SIGN_IN_LIMIT = { max: 30, timeWindowMs: 60_000 };

const view = (entry: TokenEntry, session: StoredSession): SessionView => ({
  tenant: entry.tenant,
  scopes: [...entry.scopes],
  csrfToken: session.csrfToken,
  csrfHeader: CSRF_HEADER,
});

export interface SessionDeps {
  tokens: TokenTable;
  sessions: SessionStore;
  ttlSeconds: number;
}

/** The session of a request's cookie whose token is still configured. */
async function sessionOf(app: FastifyInstance, deps: SessionDeps, request: FastifyRequest): Promise<{ id: string; session: StoredSession; entry: TokenEntry } | undefined> {
  const header = request.headers.cookie;
  if (header === undefined || !header.includes(SESSION_COOKIE)) return undefined;
  const id = app.parseCookie(header)[SESSION_COOKIE];
  if (id === undefined) return undefined;
  const session = await deps.sessions.read(id);
  const entry = session && deps.tokens.lookupHash(session.tokenSha256);
  return session && entry ? { id, session, entry } : undefined;
}

/**
 * A global onRequest hook: a /v1 request without an Authorization header but
 * with a dashboard session cookie acts as the session's token, with exactly
 * its scopes and tenant (requireScope checks them as for a bearer token).
 * State-changing methods also need the session's CSRF token in a header: the
 * SameSite=Strict cookie already keeps other sites out; the header is the
 * second lock. Requests without the cookie pay one header check.
 */
export function registerSessionAuth(app: FastifyInstance, deps: SessionDeps): void {
  app.addHook("onRequest", async (request) => {
    if (request.headers.authorization !== undefined || request.headers.cookie === undefined) return;
    if (!request.url.startsWith("/v1/")) return;
    const found = await sessionOf(app, deps, request);
    if (!found) return; // requireScope answers 401
    if (!SAFE_METHODS.has(request.method) && !csrfMatches(found.session, request.headers[CSRF_HEADER])) {
      throw new ForbiddenError(`a state-changing call from the dashboard needs the session's ${CSRF_HEADER} header`);
    }
    request.principal = found.entry;
  });
}

export function registerSessionRoutes(app: FastifyInstance, deps: SessionDeps): void {
  const setCookie = (request: FastifyRequest, reply: FastifyReply, value: string, maxAge: number): void => {
    void reply.setCookie(SESSION_COOKIE, value, {
      path: "/",
      httpOnly: true,
      sameSite: "strict",
      // Behind a TLS-terminating proxy, request.protocol says https only with trustProxy.
      secure: request.protocol === "https",
      maxAge,
    });
  };

  // Sign-in attempts per client address, whatever the token: a bound on guessing (the /v1 limits are per token).
  const signInLimit = { max: SIGN_IN_LIMIT.max, timeWindow: SIGN_IN_LIMIT.timeWindowMs, keyGenerator: (request: FastifyRequest) => `ui-sign-in:${request.ip}`, allowList: () => false };
  app.post("/ui/session", { config: { rateLimit: signInLimit } }, async (request, reply) => {
    const parsed = SessionRequest.safeParse(request.body ?? {});
    if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error.issues, request.body));
    const entry = deps.tokens.lookup(parsed.data.token);
    if (!entry) throw new UnauthorizedError("the token is not valid");
    const { sessionId, session } = await deps.sessions.create(hashToken(parsed.data.token));
    setCookie(request, reply, sessionId, deps.ttlSeconds);
    request.log.info({ tenant: entry.tenant }, "dashboard session started");
    return reply.code(201).header("cache-control", "no-store").send(view(entry, session));
  });

  app.get("/ui/session", async (request, reply) => {
    const found = await sessionOf(app, deps, request);
    if (!found) throw new UnauthorizedError("no dashboard session; sign in with POST /ui/session");
    return reply.header("cache-control", "no-store").send(view(found.entry, found.session));
  });

  app.delete("/ui/session", async (request, reply) => {
    const found = await sessionOf(app, deps, request);
    if (found) {
      if (!csrfMatches(found.session, request.headers[CSRF_HEADER])) {
        throw new ForbiddenError(`signing out needs the session's ${CSRF_HEADER} header`);
      }
      await deps.sessions.remove(found.id);
    }
    setCookie(request, reply, "", 0);
    return reply.code(204).send();
  });
}
