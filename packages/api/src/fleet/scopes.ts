import { ForbiddenError, UnauthorizedError } from "@buildfleet/contract";
import type { FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import { bearerToken } from "../auth/authenticate.js";
import type { Scope, TokenEntry, TokenTable } from "../auth/tokens.js";

/** Like requireScope, but an admin token may act too (across tenants, see tenantOf). */
export function requireScopeOrAdmin(tokens: TokenTable, scope: Scope): onRequestAsyncHookHandler {
  return async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request.headers.authorization);
    const entry = token === undefined ? undefined : tokens.lookup(token);
    if (!entry) throw new UnauthorizedError(token === undefined ? "send Authorization: Bearer <token>" : "the token is not valid");
    request.principal = entry;
    if (!entry.scopes.includes(scope) && !entry.scopes.includes("admin")) {
      throw new ForbiddenError(`the token of tenant ${entry.tenant} lacks the "${scope}" scope`);
    }
  };
}

export const isAdmin = (principal: TokenEntry): boolean => principal.scopes.includes("admin");

/** The tenant a bulk operation is bound to: the caller's own; an admin may name one or act on all (undefined). */
export function tenantOf(principal: TokenEntry, requested: string | undefined): string | undefined {
  if (isAdmin(principal)) return requested;
  if (requested !== undefined && requested !== principal.tenant) {
    throw new ForbiddenError(`the token of tenant ${principal.tenant} may not act on tenant ${requested}'s builds`);
  }
  return principal.tenant;
}
