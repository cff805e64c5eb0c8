import { DRAIN_RETRY_AFTER_SECONDS, readDrain, readQueueStatus, startDrain, type FleetQueueDeps } from "@buildfleet/shared";
import { DrainView, UnavailableError, ValidationError, toFieldIssues } from "@buildfleet/contract";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { principalOf, requireScope } from "../auth/authenticate.js";
import type { ApiContext } from "../context.js";

/** The drain as GET /v1/queue shows it (null when none). */
export { DrainView };

export const DrainBody = z.strictObject({
  cancelQueued: z.boolean({ error: "expected true or false" }).default(false),
  rejectNew: z.boolean({ error: "expected true or false" }).default(false),
  reason: z.string().max(512, { error: "at most 512 characters" }).optional(),
});

export const DrainAnswer = z.strictObject({
  paused: z.boolean(),
  pausedSince: z.string().nullable(),
  drain: DrainView.nullable(),
  running: z.number().int(),
  queued: z.number().int(),
  /** Queued builds this call cancelled (cancelQueued). */
  cancelled: z.number().int(),
});

export function fleetQueueDeps(ctx: ApiContext): FleetQueueDeps {
  return { redis: ctx.redis, ks: ctx.ks, queue: ctx.queues, store: ctx.store };
}

/**
 * POST /v1/queue/drain (admin), and the reject-new gate on submissions. The
 * gate is a preHandler of this context, so it runs after authentication: an
 * unauthenticated caller still gets 401, not 503.
 */
export function registerDrainRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.addHook("preHandler", async (request) => {
    if (request.method !== "POST" || request.routeOptions.url !== "/v1/builds") return;
    const drain = await readDrain(ctx.redis, ctx.ks);
    if (drain?.rejectNew) {
      throw new UnavailableError(
        `the queue is draining${drain.reason ? ` (${drain.reason})` : ""} and refuses new builds until it is resumed; retry in ${DRAIN_RETRY_AFTER_SECONDS} s`,
        { retryAfterSeconds: DRAIN_RETRY_AFTER_SECONDS },
      );
    }
  });

  app.post("/v1/queue/drain", { onRequest: requireScope(ctx.tokens, "admin") }, async (request) => {
    const parsed = DrainBody.safeParse(request.body ?? {});
    if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error.issues, request.body));
    const principal = principalOf(request);
    const { status, cancelled } = await startDrain(fleetQueueDeps(ctx), {
      by: `api:${principal.tenant}`,
      cancelQueued: parsed.data.cancelQueued,
      rejectNew: parsed.data.rejectNew,
      ...(parsed.data.reason !== undefined ? { reason: parsed.data.reason } : {}),
    });
    request.log.warn({ tenant: principal.tenant, ...parsed.data, cancelled, running: status.running }, "queue draining");
    return DrainAnswer.parse({
      paused: status.paused,
      pausedSince: status.pausedSince ?? null,
      drain: status.drain ?? null,
      running: status.running,
      queued: status.queued,
      cancelled,
    });
  });
}

/** The drain part of GET /v1/queue. */
export async function drainView(ctx: ApiContext, fleet = true): Promise<{ drain: DrainView | null; pausedSince: string | null }> {
  const status = await readQueueStatus(fleetQueueDeps(ctx), { handedBack: fleet });
  return { drain: status.drain ?? null, pausedSince: status.pausedSince ?? null };
}
