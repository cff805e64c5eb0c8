import type { FastifyInstance } from "fastify";
import { QueueView } from "@buildfleet/contract";
import type { ApiContext } from "../context.js";
import { principalOf, requireScope } from "../auth/authenticate.js";
import type { TokenEntry } from "../auth/tokens.js";
import { createTenantCounts } from "./tenant-counts.js";
import { createBuildCounts } from "./build-outcomes.js";
import { readQueueCounts } from "../ops/metrics.js";
import { pauseQueue, resumeQueue } from "@buildfleet/shared";
import { drainView, fleetQueueDeps } from "../fleet/queue-drain.js";

/** The queue view: the contract's response schema, re-exported for the API's modules. */
export { QueueView };

/**
 * The queue as the caller may see it: fleet-wide counts for a token with the admin
 * scope, only the caller's tenant's jobs otherwise. Pause is global (every worker
 * stops taking builds; running ones go on).
 */
export function registerQueueRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tenantCounts = createTenantCounts(ctx.redis, ctx.queues);
  const buildCounts = createBuildCounts(ctx.redis, ctx.ks);
  /** Without a principal (pause/resume, admin only): the fleet. */
  const queueView = async (principal?: TokenEntry): Promise<QueueView> => {
    const fleet = principal === undefined || principal.scopes.includes("admin");
    const [builds, counts, paused, drain] = await Promise.all([
      buildCounts(fleet ? undefined : principal.tenant),
      fleet ? readQueueCounts(ctx.queues) : tenantCounts(principal.tenant),
      ctx.queues.isPaused(),
      drainView(ctx, fleet),
    ]);
    // A tenant must not learn the fleet's load: its drain state counts only its own running builds.
    if (!fleet && drain.drain) drain.drain = { ...drain.drain, state: counts.active === 0 ? "drained" : "draining" };
    return { builds, counts, paused, ...drain };
  };
  app.get("/v1/queue", { onRequest: requireScope(ctx.tokens, "read") }, (request) => queueView(principalOf(request)));
  app.post("/v1/queue/pause", { onRequest: requireScope(ctx.tokens, "admin") }, async (request) => {
    await pauseQueue(fleetQueueDeps(ctx));
    request.log.warn({ tenant: request.principal?.tenant }, "queue paused");
    return queueView();
  });
  app.post("/v1/queue/resume", { onRequest: requireScope(ctx.tokens, "admin") }, async (request) => {
    // Also ends a drain.
    await resumeQueue(fleetQueueDeps(ctx));
    request.log.warn({ tenant: request.principal?.tenant }, "queue resumed");
    return queueView();
  });
}
