import { WorkerId, createWorkerRegistry, type WorkerState } from "@buildfleet/shared";
import { NotFoundError, WorkerList, WorkerView } from "@buildfleet/contract";
import type { FastifyInstance } from "fastify";
import { principalOf, requireScope } from "../auth/authenticate.js";
import type { ApiContext } from "../context.js";

/** A worker as listed: the contract's response schema (its last report, `gone` once it missed the heartbeat bound). */
export const WorkerItem = WorkerView;
export { WorkerList };

/**
 * GET /v1/workers, POST /v1/workers/:id/quiet|resume (admin: workers are the
 * fleet's, and their host names are internal). Quiet is asked for, not
 * done here: the worker applies it on the control message or its next beat.
 */
export function registerWorkerRoutes(app: FastifyInstance, ctx: ApiContext, now: () => number = Date.now): void {
  const registry = createWorkerRegistry(ctx.redis, ctx.ks);
  app.get("/v1/workers", { onRequest: requireScope(ctx.tokens, "admin") }, async () => WorkerList.parse({ items: await registry.list(now()) }));

  const setWanted = (state: WorkerState) => async (request: { params: { id: string } } & Parameters<typeof principalOf>[0]) => {
    const id = request.params.id;
    const worker = WorkerId.safeParse(id).success ? await registry.get(id, now()) : undefined;
    if (!worker || worker.state === "gone") throw new NotFoundError(`worker ${id} is not in the fleet (see GET /v1/workers)`);
    await registry.setWanted(id, state);
    request.log.warn({ workerId: id, tenant: principalOf(request).tenant, wanted: state }, `worker ${state === "quiet" ? "quiet" : "resume"} requested`);
    return WorkerView.parse({ ...worker, wanted: state });
  };
  app.post<{ Params: { id: string } }>("/v1/workers/:id/quiet", { onRequest: requireScope(ctx.tokens, "admin") }, setWanted("quiet"));
  app.post<{ Params: { id: string } }>("/v1/workers/:id/resume", { onRequest: requireScope(ctx.tokens, "admin") }, setWanted("running"));
}
