import type { FastifyInstance } from "fastify";
import type { ApiContext } from "../context.js";
import { openApiDocument } from "./openapi.js";

/** Unauthenticated endpoints for probes, scrapers and client generators. */
export function registerOpsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/healthz", () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    try {
      // The producer connection fails fast (no offline queue), so this answers within its command timeout.
      await ctx.redis.ping();
      return { status: "ready" };
    } catch {
      return reply.code(503).send({ status: "unavailable", reason: "Redis is not reachable" });
    }
  });

  app.get("/metrics", async (_request, reply) => {
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });

  // Generated once: the schemas do not change while the process runs.
  const document = openApiDocument();
  app.get("/openapi.json", () => document);
}
