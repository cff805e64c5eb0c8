import type { FastifyInstance } from "fastify";
import type { ApiContext } from "../context.js";
import { registerDrainRoutes } from "./queue-drain.js";
import { registerWorkerRoutes } from "./workers.js";
import { registerBulkRoutes } from "./bulk.js";

/** Fleet operations (issue 15). Registered before the build routes: the drain's submission gate is a hook of this context. */
export function registerFleetRoutes(app: FastifyInstance, ctx: ApiContext): void {
  registerDrainRoutes(app, ctx);
  registerWorkerRoutes(app, ctx);
  registerBulkRoutes(app, ctx);
}
