// Maps a Kubernetes REST path to the resource it addresses. Pure, so the
// routing rules (group/version prefixes, namespaced vs cluster-scoped,
// subresources) are unit-tested without a server.
import { apiGroups, isResourceName, RESOURCES } from "../store/resources.js";
import type { ResourceName } from "../store/types.js";

export type Subresource = "status" | "log";

export interface ResourcePath {
  resource: ResourceName;
  /** Set for namespaced paths; undefined for cluster-scoped and all-namespace collections. */
  namespace: string | undefined;
  name: string | undefined;
  subresource: Subresource | undefined;
}

const PREFIXES: Array<{ prefix: string; group: string }> = [
  { prefix: "/api/v1/", group: "" },
  ...apiGroups().map(({ group, version }) => ({ prefix: `/apis/${group}/${version}/`, group })),
];

function subresourceOf(resource: ResourceName, segment: string | undefined): Subresource | undefined | null {
  if (segment === undefined) return undefined;
  if (segment === "status" && RESOURCES[resource].hasStatus) return "status";
  if (segment === "log" && resource === "pods") return "log";
  return null;
}

/** Returns undefined when the path is not a resource path kubesim serves (→ 404). */
export function parseResourcePath(pathname: string): ResourcePath | undefined {
  const match = PREFIXES.find((p) => pathname.startsWith(p.prefix));
  if (!match) return undefined;
  const segs = pathname
    .slice(match.prefix.length)
    .split("/")
    .filter((s) => s !== "")
    .map((s) => decodeURIComponent(s));
  let resource: string | undefined;
  let namespace: string | undefined;
  let name: string | undefined;
  let sub: string | undefined;
  if (segs[0] === "namespaces" && segs.length >= 3 && !(segs.length === 3 && (segs[2] === "status" || segs[2] === "finalize"))) {
    [, namespace, resource, name, sub] = segs;
    if (segs.length > 5) return undefined;
  } else {
    [resource, name, sub] = segs;
    if (segs.length > 3) return undefined;
  }
  if (resource === undefined || !isResourceName(resource)) return undefined;
  const info = RESOURCES[resource];
  if (info.group !== match.group) return undefined;
  // Cluster-scoped resources never appear under a namespace; namespaced items need one.
  if (!info.namespaced && namespace !== undefined) return undefined;
  if (info.namespaced && namespace === undefined && name !== undefined) return undefined;
  const subresource = subresourceOf(resource, sub);
  if (subresource === null) return undefined;
  if (subresource !== undefined && name === undefined) return undefined;
  return { resource, namespace, name, subresource };
}
