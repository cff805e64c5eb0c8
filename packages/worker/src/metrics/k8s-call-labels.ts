import type { RestCallSample } from "../k8s/rest.js";

/**
 * Bounded labels for one Kubernetes API call, in the API server's own words
 * (apiserver_request_total's verbs): never the object's name or the namespace.
 */
export interface K8sCallLabels {
  verb: "create" | "get" | "list" | "watch" | "patch" | "delete";
  /** The resource (jobs, pods, configmaps …; pods/log for log streams), or "other" for a path we do not use. */
  resource: string;
  /** The HTTP status, or "error" when no answer arrived (connection failed, deadline). */
  code: string;
}

const KNOWN_RESOURCES = new Set(["jobs", "pods", "configmaps", "events", "secrets"]);

/** `/apis/batch/v1/namespaces/ns/jobs/name` → resource "jobs", named. */
function parsePath(path: string): { resource: string; named: boolean } {
  const parts = path.split("?")[0]?.split("/").filter((p) => p !== "") ?? [];
  const ns = parts.indexOf("namespaces");
  const rest = ns >= 0 ? parts.slice(ns + 2) : parts.slice(parts[0] === "api" ? 2 : 3);
  const resource = rest[0] ?? "";
  if (resource === "pods" && rest[2] === "log") return { resource: "pods/log", named: true };
  return { resource: KNOWN_RESOURCES.has(resource) ? resource : "other", named: rest.length > 1 };
}

export function labelsOfCall(call: Pick<RestCallSample, "method" | "path" | "stream" | "status">): K8sCallLabels {
  const { resource, named } = parsePath(call.path);
  const code = call.status === undefined ? "error" : String(call.status);
  switch (call.method) {
    case "POST":
      return { verb: "create", resource, code };
    case "PATCH":
      return { verb: "patch", resource, code };
    case "DELETE":
      return { verb: "delete", resource, code };
    case "GET":
      // A log stream is a get of the pods/log subresource, as the API server counts it.
      if (resource === "pods/log") return { verb: "get", resource, code };
      return { verb: call.stream ? "watch" : named ? "get" : "list", resource, code };
  }
}
