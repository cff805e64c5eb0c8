// The Kubernetes API server over node:http: routing, fault injection and
// error mapping. Plain node:http keeps per-request overhead low enough for
// thousands of creates per second on two cores.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { z } from "zod";
import { isStatusError, StatusError } from "../store/errors.js";
import { RESOURCES, type ResourceInfo } from "../store/resources.js";
import type { SimStore } from "../store/store.js";
import type { ControlPlane } from "../store/types.js";
import { CONTROL_PREFIX, handleControl, type ControlDeps } from "./control.js";
import {
  apiGroupDoc,
  apiGroupListDoc,
  apiResourceListDoc,
  apiVersionsDoc,
  groupAt,
  openApiV3GroupDoc,
  openApiV3Root,
  versionDoc,
} from "./discovery.js";
import type { FaultInjector, Verb } from "./faults.js";
import { notFoundPath, sendJson, sendStatus, sendText } from "./http.js";
import {
  handleCreate,
  handleDelete,
  handleDeleteCollection,
  handleGet,
  handleList,
  handlePatch,
  handleUpdate,
  handleWatch,
  type ResourceContext,
} from "./resources.js";
import { parseResourcePath, type ResourcePath } from "./routes.js";
import { WatchHub } from "./watch.js";

export interface ApiServerDeps {
  store: SimStore;
  faults: FaultInjector;
  controlPlane: () => ControlPlane;
  bookmarkIntervalMs: number;
  restart(opts: { keepState: boolean }): Promise<void>;
}

export interface ApiServer {
  server: Server;
  hub: WatchHub;
  /** API requests served so far, by "verb resource" (e.g. "create jobs"); control endpoints are not counted. */
  requestCounts(): Record<string, number>;
  resetRequestCounts(): void;
}

function verbOf(method: string, p: ResourcePath, watch: boolean): Verb | undefined {
  switch (method) {
    case "GET":
      return p.name !== undefined ? "get" : watch ? "watch" : "list";
    case "POST":
      return p.name === undefined ? "create" : undefined;
    case "PUT":
      return p.name !== undefined ? "update" : undefined;
    case "PATCH":
      return p.name !== undefined ? "patch" : undefined;
    case "DELETE":
      return "delete";
    default:
      return undefined;
  }
}

export function createApiServer(deps: ApiServerDeps): ApiServer {
  const hub = new WatchHub(deps.store, deps.bookmarkIntervalMs);
  // Benchmarks report API-server requests per build from these counts.
  const requests = new Map<string, number>();
  const requestCounts = (): Record<string, number> => Object.fromEntries(requests);
  const ctx: ResourceContext = { store: deps.store, hub, faults: deps.faults, logs: () => deps.controlPlane().logs };
  const controlDeps: ControlDeps = {
    store: deps.store,
    faults: deps.faults,
    controlPlane: deps.controlPlane,
    dropWatches: () => hub.dropAll(),
    openWatches: () => hub.size,
    restart: (opts) => deps.restart(opts),
    requestCounts,
  };

  // A custom resource is served only while its CustomResourceDefinition exists.
  const served = (info: ResourceInfo): boolean =>
    info.definedBy === undefined || deps.store.get("customresourcedefinitions", undefined, info.definedBy) !== undefined;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://kubesim");
    const path = url.pathname.length > 1 && url.pathname.endsWith("/") ? url.pathname.slice(0, -1) : url.pathname;
    const method = req.method ?? "GET";
    if (path.startsWith(CONTROL_PREFIX)) return handleControl(controlDeps, path, req, res);
    if (method === "GET") {
      switch (path) {
        case "/version":
          return sendJson(res, 200, versionDoc());
        case "/api":
          return sendJson(res, 200, apiVersionsDoc(req.headers.host ?? "127.0.0.1"));
        case "/apis":
          return sendJson(res, 200, apiGroupListDoc(served));
        case "/openapi/v3":
          return sendJson(res, 200, openApiV3Root(served));
        case "/healthz":
        case "/livez":
        case "/readyz":
          return sendText(res, 200, "ok");
        default:
          break;
      }
      if (path.startsWith("/openapi/v3/")) {
        const doc = openApiV3GroupDoc(path.slice("/openapi/v3/".length), served);
        if (doc) return sendJson(res, 200, doc);
      }
      const group = groupAt(path, served);
      if (group !== undefined) return sendJson(res, 200, apiResourceListDoc(group, served));
      const groupMatch = /^\/apis\/([^/]+)$/.exec(path);
      const groupDoc = groupMatch?.[1] !== undefined ? apiGroupDoc(groupMatch[1], served) : undefined;
      if (groupDoc) return sendJson(res, 200, groupDoc);
    }
    const p = parseResourcePath(path);
    if (!p || !served(RESOURCES[p.resource])) throw notFoundPath();
    const watch = url.searchParams.get("watch");
    const isWatch = watch === "true" || watch === "1";
    const verb = verbOf(method, p, isWatch);
    if (!verb) throw new StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    const counted = `${verb} ${p.resource}`;
    requests.set(counted, (requests.get(counted) ?? 0) + 1);
    const fault = deps.faults.decide(verb, p.resource, p.namespace);
    if (fault.delayMs > 0) await delay(fault.delayMs);
    if (fault.error) throw fault.error;
    const q = url.searchParams;
    switch (verb) {
      case "get":
        return handleGet(ctx, p, p.name ?? "", q, req, res);
      case "list":
        return handleList(ctx, p, q, req, res);
      case "watch":
        return handleWatch(ctx, p, q, req, res);
      case "create":
        return handleCreate(ctx, p, q, req, res);
      case "update":
        return handleUpdate(ctx, p, p.name ?? "", q, req, res);
      case "patch":
        return handlePatch(ctx, p, p.name ?? "", q, req, res);
      case "delete":
        return p.name === undefined ? handleDeleteCollection(ctx, p, q, req, res) : handleDelete(ctx, p, p.name, q, req, res);
    }
  }

  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (isStatusError(err)) sendStatus(res, err);
      else if (err instanceof z.ZodError) sendStatus(res, new StatusError(422, "Invalid", z.prettifyError(err)));
      else sendStatus(res, new StatusError(500, "InternalError", `Internal error occurred: ${(err as Error).message}`));
    });
  });
  // Watches and follow-logs are long-lived; Node's default per-request timeout would cut them.
  server.requestTimeout = 0;
  return { server, hub, requestCounts, resetRequestCounts: () => requests.clear() };
}
