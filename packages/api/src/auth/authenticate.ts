import { ForbiddenError, UnauthorizedError } from "@buildfleet/contract";
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import type { Scope, TokenEntry, TokenTable } from "./tokens.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated caller (set by requireScope, or by the dashboard's session hook). */
    principal?: TokenEntry;
  }
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/**
 * An onRequest hook: 401 without a known token, 403 when the token lacks the
 * scope. Runs before the body is read, so an unauthenticated caller cannot
 * make the server parse a large body.
 */
export function requireScope(tokens: TokenTable, scope: Scope): onRequestAsyncHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = bearerToken(request.headers.authorization);
    // Without a bearer token, a dashboard session cookie may have set the principal already (registerSessionAuth in ui/session-routes.ts).
    const entry = token === undefined ? request.principal : tokens.lookup(token);
    if (!entry) {
      throw new UnauthorizedError(token === undefined ? "send Authorization: Bearer <token>, or sign in to the dashboard at /ui" : "the token is not valid");
    }
    request.principal = entry;
    if (!entry.scopes.includes(scope)) {
      throw new ForbiddenError(`the token of tenant ${entry.tenant} lacks the "${scope}" scope`);
    }
  };
}

/** The principal of a request that passed requireScope. */
export function principalOf(request: FastifyRequest): TokenEntry {
  if (!request.principal) throw new UnauthorizedError();
  return request.principal;
}
