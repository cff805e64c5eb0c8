import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ApiContext } from "../context.js";
import { principalOf, requireScope } from "../auth/authenticate.js";
import type { TokenEntry } from "../auth/tokens.js";
import { createTenantCounts } from "./tenant-counts.js";
import { BuildCounts, createBuildCounts } from "./build-outcomes.js";
import { readQueueCounts } from "../ops/metrics.js";

export const QueueView = z.strictObject({
  /** Build outcomes from the build records (the last 24 h). */
  builds: BuildCounts,
  /** BullMQ's job counts: a failed build is a completed job here. */
  counts: z.strictObject({
    waiting: z.number().int(),
    active: z.number().int(),
    delayed: z.number().int(),
    prioritized: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
  }),
  paused: z.boolean(),
});
export type QueueView = z.infer<typeof QueueView>;

/**
 * The queue as the caller may see it: fleet-wide counts for a token with the admin
 * scope, only the caller's tenant's jobs otherwise. Pause is global (every worker
 * stops taking builds; running ones go on).
 */
export function registerQueueRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tenantCounts = createTenantCounts(ctx.redis, ctx.queue);
  const buildCounts = createBuildCounts(ctx.redis, ctx.ks);
  /** Without a principal (pause/resume, admin only): the fleet. */
  const queueView = async (principal?: TokenEntry): Promise<QueueView> => {
    const fleet = principal === undefined || principal.scopes.includes("admin");
    const [builds, counts, paused] = await Promise.all([
      buildCounts(fleet ? undefined : principal.tenant),
      fleet ? readQueueCounts(ctx.queue) : tenantCounts(principal.tenant),
      ctx.queue.isPaused(),
    ]);
    return { builds, counts, paused };
  };
  app.get("/v1/queue", { onRequest: requireScope(ctx.tokens, "read") }, (request) => queueView(principalOf(request)));
  app.post("/v1/queue/pause", { onRequest: requireScope(ctx.tokens, "admin") }, async (request) => {
    await ctx.queue.pause();
    request.log.warn({ tenant: request.principal?.tenant }, "queue paused");
    return queueView();
  });
  app.post("/v1/queue/resume", { onRequest: requireScope(ctx.tokens, "admin") }, async (request) => {
    await ctx.queue.resume();
    request.log.warn({ tenant: request.principal?.tenant }, "queue resumed");
    return queueView();
  });
}
