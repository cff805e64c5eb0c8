import rateLimit from "@fastify/rate-limit";
import { QueueEstimator, keyspace } from "@buildfleet/shared";
import { RateLimitedError, ValidationError } from "@buildfleet/contract";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { bearerToken } from "./auth/authenticate.js";
import { createResolveHost } from "./auth/resolve-host.js";
import { hashToken, type RateLimit } from "./auth/tokens.js";
import { registerBuildRoutes } from "./builds/routes.js";
import { DEFAULT_TIMING, type ApiContext, type ApiDeps } from "./context.js";
import { DEFAULT_FANOUT_TUNING, EventFanout } from "./events/fanout.js";
import { registerEventRoutes } from "./events/routes.js";
import { errorResponse } from "./http/error-response.js";
import { redactingSerializers } from "./http/log-serializers.js";
import { redactText } from "./http/redact.js";
import { registerLogRoutes } from "./logs/routes.js";
import { createMetrics } from "./ops/metrics.js";
import { registerOpsRoutes } from "./ops/routes.js";
import { registerQueueRoutes } from "./queue/routes.js";
import { registerQueueLaneRoutes } from "./queue/lanes.js";
import { registerUi } from "./ui/register.js";
import { registerFleetRoutes } from "./fleet/routes.js";
import { registerImageRoutes } from "./images/routes.js";
import { registerRebuildRoutes } from "./rebuilds/routes.js";
import { registerWebhookRoutes } from "./webhooks/routes.js";
import { registerScheduleRoutes } from "./schedules/routes.js";

/** Answers anything thrown in the one error format, logging server faults. */
function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const res = errorResponse(err);
  if (res.serverFault) request.log.error({ err }, "request failed");
  else request.log.info({ code: res.body.error.code, status: res.status }, res.body.error.message);
  if (res.retryAfterSeconds !== undefined) void reply.header("retry-after", String(res.retryAfterSeconds));
  return reply.code(res.status).send(res.body);
}

/** Tokens without their own rateLimit get this one. */
export const DEFAULT_RATE_LIMIT: RateLimit = { max: 600, timeWindowMs: 60_000 };

/**
 * The API as a fastify instance (not listening): tests drive it with
 * inject(), startApi() listens. The caller owns the connections in `deps`.
 */
export function buildApp(deps: ApiDeps): FastifyInstance {
  const closing = new AbortController();
  const ks = keyspace(deps.config.redis.prefix);
  const timing = { ...DEFAULT_TIMING, ...deps.timing };
  const events = new EventFanout({
    redis: deps.redis,
    ks,
    openConnection: deps.openStreamConnection,
    logger: deps.logger.child({ component: "events-fanout" }),
    tuning: { ...DEFAULT_FANOUT_TUNING, ...deps.events, blockMs: timing.eventsBlockMs },
  });
  const ctx: ApiContext = {
    ...deps,
    events,
    ks,
    metrics: createMetrics(deps.queues, deps.redis),
    estimator: new QueueEstimator(deps.queues, deps.redis, ks, { snapshotMs: timing.etaSnapshotMs }),
    timing,
    resolveHost: deps.resolveHost ?? createResolveHost(),
    closing: closing.signal,
  };
  // Typed as fastify's logger interface so the instance is a plain FastifyInstance for callers.
  // fastify takes these serializers over its own: request targets and error texts are redacted.
  const timeouts = deps.config.api.timeouts;
  const logger: FastifyBaseLogger = deps.logger.child({ component: "api" }, { serializers: redactingSerializers });
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: deps.config.api.bodyLimitBytes,
    // Slow-client bounds (fastify defaults to 0 = none). requestTimeout covers the body too.
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.connectionMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      // Node refuses headersTimeout > requestTimeout.
      headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
      // Node checks both timeouts on this interval (default 30 s, which would triple a 10 s bound).
      connectionsCheckingInterval: Math.min(1_000, Math.floor(timeouts.headersMs / 2)),
    },
    // Ids are ours; a client's X-Request-Id is not trusted into log lines.
    requestIdHeader: false,
    // Router errors (bad percent-encoding, an over-long path parameter) bypass the error
    // handler and would answer in fastify's own shape: route them through ours.
    frameworkErrors: (err, request, reply) => {
      void sendError(err, request, reply);
    },
  });

  // Our own JSON parser: fastify's refuses "__proto__" keys with a message that names no field;
  // JSON.parse keeps them as plain own keys (no prototype change), and validateBuildRequest then
  // refuses them naming the path. An empty body is "no body" (e.g. POST /v1/queue/pause).
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      done(new ValidationError([{ path: "", message: `the body is not valid JSON: ${why}` }]), undefined);
    }
  });

  // Streams (SSE, log follow) end when the app closes, so close() is not held open by clients.
  app.addHook("preClose", async () => {
    closing.abort();
    await events.close();
  });

  app.setErrorHandler(sendError);
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: { code: "NOT_FOUND", message: redactText(`no route ${request.method} ${request.url.split("?")[0] ?? ""}`) } }),
  );

  app.addHook("onResponse", async (request, reply) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? "unmatched", status: String(reply.statusCode) };
    ctx.metrics.requests.inc(labels);
    ctx.metrics.duration.observe(labels, reply.elapsedTime / 1000);
  });

  // Limits are per token (keyed by its hash, never the token), so one noisy client cannot starve the rest.
  const limitOf = (request: FastifyRequest): RateLimit => {
    const token = bearerToken(request.headers.authorization);
    // A dashboard session's principal is set by then (app-level hook, before the route's limiter).
    return (token !== undefined ? deps.tokens.lookup(token)?.rateLimit : request.principal?.rateLimit) ?? DEFAULT_RATE_LIMIT;
  };
  void app.register(rateLimit, {
    global: true,
    // Counters live in Redis (under our prefix, so in our hash slot) so that a token's limit holds
    // across API replicas. If Redis fails here, the request goes on and fails on its own Redis call.
    redis: deps.redis,
    nameSpace: `${ctx.ks.bullPrefix}:ratelimit:`,
    skipOnError: true,
    keyGenerator: (request) => {
      const token = bearerToken(request.headers.authorization);
      if (token !== undefined) return `t:${hashToken(token)}`;
      // The same counter as the session's token used as a bearer token.
      return request.principal ? `t:${request.principal.tokenSha256}` : `ip:${request.ip}`;
    },
    max: (request) => limitOf(request).max,
    timeWindow: (request) => limitOf(request).timeWindowMs,
    // Probes and scrapers are not limited.
    allowList: (request) => !request.url.startsWith("/v1/") && request.url !== "/v1",
    // The configured window, not context.after (the plugin's humanised time left, e.g. "50 seconds").
    errorResponseBuilder: (request, context) =>
      new RateLimitedError(`rate limit of ${context.max} requests per ${Math.round(limitOf(request).timeWindowMs / 1000)} s exceeded; retry in ${Math.ceil(context.ttl / 1000)} s`, {
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });

  if (ctx.ui?.enabled !== false) registerUi(app, ctx);
  void app.register(async (routes) => {
    registerFleetRoutes(routes, ctx);
    registerOpsRoutes(routes, ctx);
    registerBuildRoutes(routes, ctx);
    registerLogRoutes(routes, ctx);
    registerEventRoutes(routes, ctx);
    registerQueueRoutes(routes, ctx);
    registerQueueLaneRoutes(routes, ctx);
    registerImageRoutes(routes, ctx);
    registerRebuildRoutes(routes, ctx);
    registerWebhookRoutes(routes, ctx);
    registerScheduleRoutes(routes, ctx);
  });
  return app;
}
