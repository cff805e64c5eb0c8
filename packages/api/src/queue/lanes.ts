import type { FastifyInstance } from "fastify";
import { PRIORITIES, QueueLanes } from "@buildfleet/contract";
import type { ApiContext } from "../context.js";
import { requireScope } from "../auth/authenticate.js";
import { createQueueDepthReader, type DepthSample } from "../ops/queue-depth.js";

export { QueueLanes };

/** Depth samples (lane × tenant × state) → one row per lane, in lane order, zeros included (pure). */
export function laneCounts(samples: readonly DepthSample[]): QueueLanes {
  const lanes = PRIORITIES.map((lane) => ({ lane, waiting: 0, active: 0, delayed: 0 }));
  for (const s of samples) {
    const row = lanes.find((l) => l.lane === s.lane);
    if (row) row[s.state] += s.jobs;
  }
  return { lanes };
}

/**
 * GET /v1/queue/lanes (admin: it counts every tenant's jobs). The same one
 * Lua pass as /metrics' queue depth, cached as briefly, so a dashboard
 * polling it costs the queue no more than a scraper does.
 */
export function registerQueueLaneRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const readDepth = createQueueDepthReader(ctx.redis, ctx.queues);
  app.get("/v1/queue/lanes", { onRequest: requireScope(ctx.tokens, "admin") }, async () => QueueLanes.parse(laneCounts(await readDepth())));
}
