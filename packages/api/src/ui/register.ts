import cookie from "@fastify/cookie";
import type { FastifyInstance } from "fastify";
import type { ApiContext } from "../context.js";
import { createSessionStore, DEFAULT_SESSION_TTL_SECONDS } from "./session-store.js";
import { registerSessionAuth, registerSessionRoutes } from "./session-routes.js";
import { DEFAULT_UI_DIR, registerUiStatic } from "./static.js";

export interface UiOptions {
  /** false: no dashboard, no session routes, no cookie auth (the submit benchmark's "not served" run). Default true. */
  enabled?: boolean;
  /** The built dashboard (default packages/web/dist). */
  dir?: string;
  sessionTtlSeconds?: number;
}

/**
 * The dashboard: its static files at /ui, its session at /ui/session, and the
 * hook that lets the session cookie stand for the token on /v1 routes.
 * Call on the root instance, before the /v1 routes.
 */
export function registerUi(app: FastifyInstance, ctx: ApiContext): void {
  const ttlSeconds = ctx.ui?.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
  // hook:false: cookies are parsed only where a session is looked at, never on every request.
  void app.register(cookie, { hook: false });
  const deps = { tokens: ctx.tokens, sessions: createSessionStore(ctx.redis, ctx.ks, ttlSeconds), ttlSeconds };
  registerSessionAuth(app, deps);
  void app.register(async (routes) => {
    registerSessionRoutes(routes, deps);
    registerUiStatic(routes, ctx.ui?.dir ?? DEFAULT_UI_DIR);
  });
}
