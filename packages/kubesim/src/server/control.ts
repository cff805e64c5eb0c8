// Control endpoints under /kubesim/v1 — a prefix no real API server uses, so
// a client talking to kubesim as to a cluster can never hit them by accident.
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { badRequest, methodNotAllowed, StatusError } from "../store/errors.js";
import type { SimStore } from "../store/store.js";
import type { ControlPlane } from "../store/types.js";
import { RESOURCE_NAMES } from "../store/resources.js";
import type { FaultInjector } from "./faults.js";
import { readBody, sendJson } from "./http.js";

export const CONTROL_PREFIX = "/kubesim/v1";

export interface ControlDeps {
  store: SimStore;
  faults: FaultInjector;
  controlPlane: () => ControlPlane;
  dropWatches(): number;
  openWatches(): number;
  /** Called after the response was sent, since a restart cuts every connection. */
  restart(opts: { keepState: boolean }): Promise<void>;
  requestCounts(): Record<string, number>;
}

const RestartBody = z.strictObject({ keepState: z.boolean().default(true) });
const ExpireBody = z.strictObject({ count: z.number().int().min(1).max(10_000).default(1) });

async function body(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === "") return {};
  try {
    // YAML is a superset of JSON: scenario files may be either.
    return parseYaml(text) as unknown;
  } catch (err) {
    throw badRequest(`invalid request body: ${(err as Error).message}`);
  }
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new StatusError(422, "Invalid", z.prettifyError(result.error));
  return result.data;
}

export async function handleControl(deps: ControlDeps, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const route = path.slice(CONTROL_PREFIX.length);
  const method = req.method ?? "GET";
  switch (`${method} ${route}`) {
    case "GET /faults":
      return sendJson(res, 200, deps.faults.get());
    case "PUT /faults": {
      const input = await body(req);
      try {
        deps.faults.set(input);
      } catch (err) {
        if (err instanceof z.ZodError) throw new StatusError(422, "Invalid", z.prettifyError(err));
        throw err;
      }
      return sendJson(res, 200, deps.faults.get());
    }
    case "DELETE /faults":
      deps.faults.clear();
      return sendJson(res, 200, deps.faults.get());
    case "POST /watches/drop":
      return sendJson(res, 200, { dropped: deps.dropWatches() });
    case "POST /watches/expire-next": {
      const { count } = parseWith(ExpireBody, await body(req));
      deps.faults.expireNextWatches(count);
      return sendJson(res, 200, deps.faults.get());
    }
    case "POST /restart": {
      const { keepState } = parseWith(RestartBody, await body(req));
      res.on("finish", () => {
        void deps.restart({ keepState });
      });
      return sendJson(res, 202, { restarting: true, keepState });
    }
    case "GET /scenario":
      return sendJson(res, 200, deps.controlPlane().getScenario());
    case "PUT /scenario":
      deps.controlPlane().setScenario(await body(req));
      return sendJson(res, 200, deps.controlPlane().getScenario());
    case "POST /scenario":
      deps.controlPlane().addRules(await body(req));
      return sendJson(res, 200, deps.controlPlane().getScenario());
    case "DELETE /scenario":
      deps.controlPlane().clearScenario();
      return sendJson(res, 200, deps.controlPlane().getScenario());
    case "GET /stats":
      return sendJson(res, 200, {
        resourceVersion: deps.store.currentResourceVersion(),
        objects: Object.fromEntries(RESOURCE_NAMES.map((r) => [r, deps.store.count(r)])),
        openWatches: deps.openWatches(),
        requests: deps.requestCounts(),
        rssBytes: process.memoryUsage().rss,
        // Process CPU time, so benchmarks can report cost per request independent of machine load.
        cpuMicros: process.cpuUsage().user + process.cpuUsage().system,
      });
    default:
      throw route.match(/^\/(faults|watches\/drop|watches\/expire-next|restart|scenario|stats)$/)
        ? methodNotAllowed()
        : new StatusError(404, "NotFound", `no kubesim control endpoint ${route}`);
  }
}
