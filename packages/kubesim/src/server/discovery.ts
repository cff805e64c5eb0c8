// Discovery documents. kubectl uses legacy discovery when the server answers
// plain JSON to its aggregated-discovery Accept header. The OpenAPI v3 documents
// are minimal on purpose: they declare, per Kind, a PATCH operation with the
// `fieldValidation` query parameter, which is what kubectl's
// QueryParamVerifierV3 looks for before choosing server-side field validation
// for `create/apply -f` — so `--validate=false` is not needed.
// Custom resources appear only while their CRD exists: every function takes
// `served`, the server's answer to "is this resource defined right now".
import { apiGroups, RESOURCES, RESOURCE_NAMES, type ResourceInfo } from "../store/resources.js";

export type Served = (info: ResourceInfo) => boolean;

export const KUBE_VERSION = { major: "1", minor: "32", gitVersion: "v1.32.0-kubesim" };

export function versionDoc() {
  return {
    ...KUBE_VERSION,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2026-01-01T00:00:00Z",
    goVersion: "go1.23.0",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

export function apiVersionsDoc(host: string) {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: host }],
  };
}

function groupDoc(group: string, version: string) {
  const gv = { groupVersion: `${group}/${version}`, version };
  return { name: group, versions: [gv], preferredVersion: gv };
}

function servedGroups(served: Served): Array<{ group: string; version: string }> {
  return apiGroups().filter(({ group }) => resourcesOf(group, served).length > 0);
}

export function apiGroupListDoc(served: Served) {
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: servedGroups(served).map(({ group, version }) => groupDoc(group, version)),
  };
}

/** `/apis/{group}`; undefined when the group is not served. */
export function apiGroupDoc(group: string, served: Served) {
  const found = servedGroups(served).find((g) => g.group === group);
  return found ? { kind: "APIGroup", apiVersion: "v1", ...groupDoc(found.group, found.version) } : undefined;
}

/** The group served at `/apis/{group}/{version}`, or "" for `/api/v1`; undefined otherwise. */
export function groupAt(path: string, served: Served): string | undefined {
  if (path === "/api/v1") return "";
  const m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (!m) return undefined;
  const found = servedGroups(served).find((g) => g.group === m[1] && g.version === m[2]);
  return found?.group;
}

// `kubectl get all` lists these, as on a real cluster.
const ALL_CATEGORY = new Set<string>(["jobs", "pods", "services", "deployments"]);

const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

function resourcesOf(group: string, served: Served): ResourceInfo[] {
  return RESOURCE_NAMES.map((r) => RESOURCES[r]).filter((i) => i.group === group && served(i));
}

function versionOf(group: string): string {
  return group === "" ? "v1" : (apiGroups().find((g) => g.group === group)?.version ?? "v1");
}

export function apiResourceListDoc(group: string, served: Served) {
  const groupVersion = group === "" ? "v1" : `${group}/${versionOf(group)}`;
  const resources = resourcesOf(group, served).flatMap((info) => {
    const main = {
      name: info.resource,
      singularName: info.singular,
      namespaced: info.namespaced,
      kind: info.kind,
      verbs: info.resource === "namespaces" ? VERBS.filter((v) => v !== "deletecollection") : VERBS,
      ...(info.shortNames.length > 0 ? { shortNames: info.shortNames } : {}),
      ...(ALL_CATEGORY.has(info.resource) ? { categories: ["all"] } : {}),
    };
    const subs: object[] = [];
    if (info.hasStatus) {
      subs.push({ name: `${info.resource}/status`, singularName: "", namespaced: info.namespaced, kind: info.kind, verbs: ["get", "patch", "update"] });
    }
    if (info.resource === "pods") {
      subs.push({ name: "pods/log", singularName: "", namespaced: true, kind: "Pod", verbs: ["get"] });
    }
    return [main, ...subs];
  });
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion, resources };
}

/** OpenAPI v3 group paths: `api/v1`, `apis/{group}/{version}`. */
function openApiPath(group: string): string {
  return group === "" ? "api/v1" : `apis/${group}/${versionOf(group)}`;
}

export function openApiV3Root(served: Served) {
  const groups = ["", ...servedGroups(served).map((g) => g.group)];
  return {
    paths: Object.fromEntries(groups.map((g) => [openApiPath(g), { serverRelativeURL: `/openapi/v3/${openApiPath(g)}?hash=kubesim` }])),
  };
}

export function openApiV3GroupDoc(path: string, served: Served) {
  const group = ["", ...servedGroups(served).map((g) => g.group)].find((g) => openApiPath(g) === path);
  if (group === undefined) return undefined;
  const fieldValidation = {
    name: "fieldValidation",
    in: "query",
    description: "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.",
    schema: { type: "string", uniqueItems: true },
  };
  const paths: Record<string, unknown> = {};
  for (const info of resourcesOf(group, served)) {
    const base = `/${openApiPath(group)}`;
    const item = info.namespaced
      ? `${base}/namespaces/{namespace}/${info.resource}/{name}`
      : `${base}/${info.resource}/{name}`;
    const gvk = { group, version: info.version, kind: info.kind };
    const op = (action: string) => ({
      operationId: `${action}${info.kind}`,
      parameters: [fieldValidation],
      responses: { "200": { description: "OK" } },
      "x-kubernetes-action": action,
      "x-kubernetes-group-version-kind": gvk,
    });
    paths[item] = { patch: op("patch"), put: op("put") };
  }
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes (kubesim)", version: KUBE_VERSION.gitVersion },
    paths,
    components: { schemas: {} },
  };
}
