import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ApiContext } from "../context.js";
import { requireScope } from "../auth/authenticate.js";
import { readQueueCounts } from "../ops/metrics.js";

export const QueueView = z.strictObject({
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

async function queueView(ctx: ApiContext): Promise<QueueView> {
  const [counts, paused] = await Promise.all([readQueueCounts(ctx.queue), ctx.queue.isPaused()]);
  return { counts, paused };
}

/** Operators' view of the queue. Pause is global (every worker stops taking builds; running ones go on). */
export function registerQueueRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/v1/queue", { onRequest: requireScope(ctx.tokens, "read") }, () => queueView(ctx));
  app.post("/v1/queue/pause", { onRequest: requireScope(ctx.tokens, "admin") }, async (request) => {
    await ctx.queue.pause();
    request.log.warn({ tenant: request.principal?.tenant }, "queue paused");
    return queueView(ctx);
  });
  app.post("/v1/queue/resume", { onRequest: requireScope(ctx.tokens, "admin") }, async (request) => {
    await ctx.queue.resume();
    request.log.warn({ tenant: request.principal?.tenant }, "queue resumed");
    return queueView(ctx);
  });
}
