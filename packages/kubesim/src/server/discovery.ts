// Discovery documents. kubectl uses legacy discovery when the server answers
// plain JSON to its aggregated-discovery Accept header. The OpenAPI v3 documents
// are minimal on purpose: they declare, per Kind, a PATCH operation with the
// `fieldValidation` query parameter, which is what kubectl's
// QueryParamVerifierV3 looks for before choosing server-side field validation
// for `create/apply -f` — so `--validate=false` is not needed.
import { RESOURCES, RESOURCE_NAMES, type ResourceInfo } from "../store/resources.js";

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

export function apiGroupListDoc() {
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: [
      {
        name: "batch",
        versions: [{ groupVersion: "batch/v1", version: "v1" }],
        preferredVersion: { groupVersion: "batch/v1", version: "v1" },
      },
    ],
  };
}

export function apiGroupDoc(group: string) {
  return group === "batch"
    ? {
        kind: "APIGroup",
        apiVersion: "v1",
        name: "batch",
        versions: [{ groupVersion: "batch/v1", version: "v1" }],
        preferredVersion: { groupVersion: "batch/v1", version: "v1" },
      }
    : undefined;
}

const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

function resourcesOf(group: string): ResourceInfo[] {
  return RESOURCE_NAMES.map((r) => RESOURCES[r]).filter((i) => i.group === group);
}

export function apiResourceListDoc(group: string) {
  const groupVersion = group === "" ? "v1" : `${group}/v1`;
  const resources = resourcesOf(group).flatMap((info) => {
    const main = {
      name: info.resource,
      singularName: info.singular,
      namespaced: info.namespaced,
      kind: info.kind,
      verbs: info.resource === "namespaces" ? VERBS.filter((v) => v !== "deletecollection") : VERBS,
      ...(info.shortNames.length > 0 ? { shortNames: info.shortNames } : {}),
      ...(info.resource === "jobs" ? { categories: ["all"] } : {}),
      ...(info.resource === "pods" ? { categories: ["all"] } : {}),
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

const OPENAPI_GROUPS: Record<string, string> = { "api/v1": "", "apis/batch/v1": "batch" };

export function openApiV3Root() {
  return {
    paths: Object.fromEntries(
      Object.keys(OPENAPI_GROUPS).map((p) => [p, { serverRelativeURL: `/openapi/v3/${p}?hash=kubesim` }]),
    ),
  };
}

export function openApiV3GroupDoc(path: string) {
  const group = OPENAPI_GROUPS[path];
  if (group === undefined) return undefined;
  const fieldValidation = {
    name: "fieldValidation",
    in: "query",
    description: "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.",
    schema: { type: "string", uniqueItems: true },
  };
  const paths: Record<string, unknown> = {};
  for (const info of resourcesOf(group)) {
    const base = group === "" ? "/api/v1" : `/apis/${group}/v1`;
    const item = info.namespaced
      ? `${base}/namespaces/{namespace}/${info.resource}/{name}`
      : `${base}/${info.resource}/{name}`;
    const gvk = { group, version: "v1", kind: info.kind };
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
