// The REST verbs on resource paths: create, get, list (pagination, Table),
// update, patch, delete (propagation), deletecollection. Watches are handed
// to the WatchHub and logs to logs.ts.
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml } from "yaml";
import { badRequest, conflict, expired, notFound, StatusError } from "../store/errors.js";
import { RESOURCES } from "../store/resources.js";
import { compileFilter } from "../store/selectors.js";
import type { SimStore } from "../store/store.js";
import type { KubeObject, LogSource, PropagationPolicy } from "../store/types.js";
import type { FaultInjector } from "./faults.js";
import { boolParam, intParam, parseJson, readBody, sendJson, wantsTable } from "./http.js";
import { serveLogs } from "./logs.js";
import { applyPatch, patchTypeOf } from "./patch.js";
import type { ResourcePath } from "./routes.js";
import { toTable, type IncludeObject } from "./table.js";
import type { WatchHub } from "./watch.js";

export interface ResourceContext {
  store: SimStore;
  hub: WatchHub;
  faults: FaultInjector;
  logs: () => LogSource;
}

function asObject(value: unknown): KubeObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw badRequest("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml");
  }
  const obj = value as KubeObject;
  if (obj.metadata === undefined) obj.metadata = {};
  if (typeof obj.metadata !== "object" || obj.metadata === null) throw badRequest("metadata must be an object");
  return obj;
}

const refOf = (p: ResourcePath) => ({ resource: p.resource, group: RESOURCES[p.resource].group });

interface ContinueToken {
  v: "meta.k8s.io/v1";
  rv: number;
  start: string;
}

function encodeContinue(rv: string, key: string): string {
  const token: ContinueToken = { v: "meta.k8s.io/v1", rv: Number(rv), start: key };
  return Buffer.from(JSON.stringify(token)).toString("base64url");
}

function decodeContinue(value: string): ContinueToken {
  try {
    const token = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as ContinueToken;
    if (token.v !== "meta.k8s.io/v1" || typeof token.start !== "string") throw new Error("bad token");
    return token;
  } catch {
    throw badRequest("continue key is not valid: illegal base64 data or unknown format");
  }
}

/** dryRun=All: validate, answer as if done, change nothing. */
function dryRunParam(query: URLSearchParams): boolean {
  const values = query.getAll("dryRun");
  for (const v of values) {
    if (v !== "All") throw new StatusError(400, "BadRequest", `Invalid dryRun value: ${JSON.stringify(v)}: supported values: "All"`);
  }
  return values.length > 0;
}

function includeObject(query: URLSearchParams): IncludeObject {
  const v = query.get("includeObject");
  return v === "None" || v === "Object" ? v : "Metadata";
}

function resourceVersionParam(query: URLSearchParams): number | undefined {
  const raw = query.get("resourceVersion");
  if (raw === null || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid resource version: ${raw}`);
  return n;
}

export function handleWatch(ctx: ResourceContext, p: ResourcePath, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
  const labelSelector = query.get("labelSelector") ?? undefined;
  const fieldSelector = query.get("fieldSelector") ?? undefined;
  const filter = labelSelector || fieldSelector ? compileFilter(p.resource, labelSelector, fieldSelector) : undefined;
  ctx.hub.open(
    {
      resource: p.resource,
      namespace: p.namespace,
      filter,
      resourceVersion: resourceVersionParam(query),
      bookmarks: boolParam(query.get("allowWatchBookmarks")),
      timeoutSeconds: intParam("timeoutSeconds", query.get("timeoutSeconds")),
      forceExpired: ctx.faults.takeWatchExpiry(),
      // `kubectl get -w` watches with the Table Accept header and expects one-row Tables.
      transform: wantsTable(req)
        ? (obj) => toTable(p.resource, [obj], ctx.store.clock.now(), { resourceVersion: obj.metadata.resourceVersion ?? "" }, includeObject(query))
        : undefined,
    },
    res,
    (rv) => expired(rv, ctx.store.currentResourceVersion()),
  );
}

export function handleList(ctx: ResourceContext, p: ResourcePath, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
  const { store } = ctx;
  const info = RESOURCES[p.resource];
  const filter = compileFilter(p.resource, query.get("labelSelector") ?? undefined, query.get("fieldSelector") ?? undefined);
  const limit = intParam("limit", query.get("limit"));
  const cont = query.get("continue");
  const token = cont ? decodeContinue(cont) : undefined;
  if (token && store.isCompacted(token.rv)) {
    // Same answer as a real server whose etcd compacted past the first page.
    throw new StatusError(
      410,
      "Expired",
      "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
    );
  }
  const after = token?.start;
  const page = store.listPage(p.resource, p.namespace, {
    filter,
    ...(limit !== undefined ? { limit } : {}),
    ...(after !== undefined ? { after } : {}),
  });
  const metadata = {
    resourceVersion: page.resourceVersion,
    ...(page.continueKey !== undefined ? { continue: encodeContinue(page.resourceVersion, page.continueKey) } : {}),
  };
  if (wantsTable(req)) {
    sendJson(res, 200, toTable(p.resource, page.items, store.clock.now(), metadata, includeObject(query)));
    return;
  }
  // Real servers leave kind/apiVersion out of list items (only the list has them);
  // a client that relies on item.kind must fail here as it would on a cluster.
  const items = page.items.map(({ kind: _kind, apiVersion: _apiVersion, ...rest }) => rest);
  sendJson(res, 200, { kind: info.listKind, apiVersion: info.apiVersion, metadata, items });
}

export function handleGet(ctx: ResourceContext, p: ResourcePath, name: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
  if (p.subresource === "log") {
    serveLogs(ctx.store, ctx.logs(), p.namespace ?? "", name, query, res);
    return;
  }
  const obj = ctx.store.get(p.resource, p.namespace, name);
  if (!obj) throw notFound(refOf(p), name);
  if (wantsTable(req)) {
    sendJson(res, 200, toTable(p.resource, [obj], ctx.store.clock.now(), { resourceVersion: obj.metadata.resourceVersion ?? "" }, includeObject(query)));
    return;
  }
  sendJson(res, 200, obj);
}

export async function handleCreate(ctx: ResourceContext, p: ResourcePath, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (RESOURCES[p.resource].namespaced && p.namespace === undefined) {
    throw new StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  }
  const obj = asObject(parseBody(req.headers["content-type"], await readBody(req)));
  sendJson(res, 201, ctx.store.create(p.resource, p.namespace, obj, { dryRun: dryRunParam(query) }));
}

function parseBody(contentType: string | undefined, text: string): unknown {
  if ((contentType ?? "").includes("yaml")) {
    try {
      return parseYaml(text) as unknown;
    } catch (err) {
      throw badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
    }
  }
  return parseJson(text);
}

export async function handleUpdate(ctx: ResourceContext, p: ResourcePath, name: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const obj = asObject(parseBody(req.headers["content-type"], await readBody(req)));
  if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
    throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
  }
  if (obj.metadata.namespace !== undefined && p.namespace !== undefined && obj.metadata.namespace !== p.namespace) {
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  obj.metadata.name = name;
  const opts = { ...(p.subresource === "status" ? { subresource: "status" as const } : {}), dryRun: dryRunParam(query) };
  sendJson(res, 200, ctx.store.update(p.resource, p.namespace, obj, opts));
}

export async function handlePatch(ctx: ResourceContext, p: ResourcePath, name: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const dryRun = dryRunParam(query);
  const type = patchTypeOf(req.headers["content-type"]);
  if (!type) {
    throw new StatusError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
  }
  const text = await readBody(req);
  const patch = type === "apply" ? parseBody("yaml", text) : parseJson(text);
  const existing = ctx.store.get(p.resource, p.namespace, name);
  if (!existing) {
    // Server-side apply creates what does not exist yet.
    if (type === "apply" && p.subresource === undefined) {
      const obj = asObject(patch);
      obj.metadata.name = name;
      sendJson(res, 201, ctx.store.create(p.resource, p.namespace, obj, { dryRun }));
      return;
    }
    throw notFound(refOf(p), name);
  }
  const patched = asObject(applyPatch(type, existing, patch));
  patched.metadata.name = name;
  const opts = { ...(p.subresource === "status" ? { subresource: "status" as const } : {}), dryRun };
  sendJson(res, 200, ctx.store.update(p.resource, p.namespace, patched, opts));
}

interface DeleteOptions {
  propagationPolicy?: string;
  /** kubectl sends dryRun in the DeleteOptions body rather than the query. */
  dryRun?: string[];
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

async function deleteOptions(req: IncomingMessage, query: URLSearchParams): Promise<DeleteOptions> {
  const text = await readBody(req);
  const body = text.trim() === "" ? {} : (parseJson(text) as DeleteOptions);
  const fromQuery = query.get("propagationPolicy");
  if (fromQuery) body.propagationPolicy = fromQuery;
  if (query.get("orphanDependents") !== null) body.orphanDependents = boolParam(query.get("orphanDependents"));
  return body;
}

function deleteDryRun(opts: DeleteOptions): boolean {
  if (opts.dryRun === undefined) return false;
  if (!Array.isArray(opts.dryRun) || opts.dryRun.some((v) => v !== "All")) {
    throw new StatusError(400, "BadRequest", `Invalid dryRun value: ${JSON.stringify(opts.dryRun)}: supported values: "All"`);
  }
  return opts.dryRun.length > 0;
}

function policyOf(p: ResourcePath, opts: DeleteOptions): PropagationPolicy {
  const policy = opts.propagationPolicy;
  if (policy === "Background" || policy === "Foreground" || policy === "Orphan") return policy;
  if (policy !== undefined) {
    throw new StatusError(422, "Invalid", `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`);
  }
  if (opts.orphanDependents === true) return "Orphan";
  if (opts.orphanDependents === false) return "Background";
  // Like real clusters: batch/v1 Jobs deleted without a policy orphan their pods.
  return p.resource === "jobs" ? "Orphan" : "Background";
}

export async function handleDelete(ctx: ResourceContext, p: ResourcePath, name: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const opts = await deleteOptions(req, query);
  const existing = ctx.store.get(p.resource, p.namespace, name);
  if (!existing) throw notFound(refOf(p), name);
  const pre = opts.preconditions;
  if (pre?.uid && pre.uid !== existing.metadata.uid) {
    throw new StatusError(409, "Conflict", `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid ?? ""}`);
  }
  if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) throw conflict(refOf(p), name);
  const dryRun = dryRunParam(query) || deleteDryRun(opts);
  const result = ctx.store.delete(p.resource, p.namespace, name, { propagationPolicy: policyOf(p, opts), dryRun });
  if (!dryRun && ctx.store.get(p.resource, p.namespace, name)) {
    // Deletion in progress (finalizers, foreground): the real server answers 202 with the object.
    sendJson(res, 202, ctx.store.get(p.resource, p.namespace, name));
    return;
  }
  if (p.resource === "pods" || p.resource === "namespaces") {
    sendJson(res, 200, result);
    return;
  }
  const info = RESOURCES[p.resource];
  sendJson(res, 200, {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Success",
    details: { name, ...(info.group ? { group: info.group } : {}), kind: p.resource, uid: result.metadata.uid },
  });
}

export async function handleDeleteCollection(ctx: ResourceContext, p: ResourcePath, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const opts = await deleteOptions(req, query);
  const policy = policyOf(p, opts);
  const filter = compileFilter(p.resource, query.get("labelSelector") ?? undefined, query.get("fieldSelector") ?? undefined);
  const targets = ctx.store.listPage(p.resource, p.namespace, { filter }).items.map((o) => ({ ns: o.metadata.namespace, name: o.metadata.name ?? "" }));
  const dryRun = dryRunParam(query) || deleteDryRun(opts);
  const deleted = targets.map((t) => ctx.store.delete(p.resource, t.ns, t.name, { propagationPolicy: policy, dryRun }));
  const info = RESOURCES[p.resource];
  sendJson(res, 200, { kind: info.listKind, apiVersion: info.apiVersion, metadata: { resourceVersion: String(ctx.store.currentResourceVersion()) }, items: deleted });
}
