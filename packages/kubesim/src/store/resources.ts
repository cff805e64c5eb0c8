import type { ResourceName } from "./types.js";

/** Static facts about each served resource, shared by the store and the HTTP layer. */
export interface ResourceInfo {
  resource: ResourceName;
  kind: string;
  listKind: string;
  singular: string;
  group: string;
  version: string;
  apiVersion: string;
  namespaced: boolean;
  shortNames: string[];
  /** Has a `/status` subresource whose writes touch only `.status`. */
  hasStatus: boolean;
  /**
   * A custom resource: served (discovery, REST paths) only while the
   * CustomResourceDefinition of this name exists, as on a real cluster where
   * applying a ScaledObject before KEDA's CRDs fails with "no matches for kind".
   */
  definedBy?: string;
}

interface InfoOptions {
  version?: string;
  definedBy?: string;
}

function info(
  resource: ResourceName,
  kind: string,
  group: string,
  namespaced: boolean,
  shortNames: string[],
  hasStatus: boolean,
  opts: InfoOptions = {},
): ResourceInfo {
  const version = opts.version ?? "v1";
  return {
    resource,
    kind,
    listKind: `${kind}List`,
    singular: kind.toLowerCase(),
    group,
    version,
    apiVersion: group === "" ? version : `${group}/${version}`,
    namespaced,
    shortNames,
    hasStatus,
    ...(opts.definedBy !== undefined ? { definedBy: opts.definedBy } : {}),
  };
}

export const RESOURCES: Readonly<Record<ResourceName, ResourceInfo>> = {
  namespaces: info("namespaces", "Namespace", "", false, ["ns"], true),
  pods: info("pods", "Pod", "", true, ["po"], true),
  secrets: info("secrets", "Secret", "", true, [], false),
  configmaps: info("configmaps", "ConfigMap", "", true, ["cm"], false),
  events: info("events", "Event", "", true, ["ev"], false),
  persistentvolumeclaims: info("persistentvolumeclaims", "PersistentVolumeClaim", "", true, ["pvc"], true),
  serviceaccounts: info("serviceaccounts", "ServiceAccount", "", true, ["sa"], false),
  services: info("services", "Service", "", true, ["svc"], true),
  jobs: info("jobs", "Job", "batch", true, [], true),
  deployments: info("deployments", "Deployment", "apps", true, ["deploy"], true),
  poddisruptionbudgets: info("poddisruptionbudgets", "PodDisruptionBudget", "policy", true, ["pdb"], true),
  networkpolicies: info("networkpolicies", "NetworkPolicy", "networking.k8s.io", true, ["netpol"], false),
  roles: info("roles", "Role", "rbac.authorization.k8s.io", true, [], false),
  rolebindings: info("rolebindings", "RoleBinding", "rbac.authorization.k8s.io", true, [], false),
  customresourcedefinitions: info("customresourcedefinitions", "CustomResourceDefinition", "apiextensions.k8s.io", false, ["crd", "crds"], true),
  scaledobjects: info("scaledobjects", "ScaledObject", "keda.sh", true, ["so"], true, {
    version: "v1alpha1",
    definedBy: "scaledobjects.keda.sh",
  }),
};

export const RESOURCE_NAMES = Object.keys(RESOURCES) as ResourceName[];

export function isResourceName(value: string): value is ResourceName {
  return Object.hasOwn(RESOURCES, value);
}

/** The API groups served, in discovery order: one version each. */
export function apiGroups(): Array<{ group: string; version: string }> {
  const seen = new Map<string, string>();
  for (const r of RESOURCE_NAMES) {
    const i = RESOURCES[r];
    if (i.group !== "" && !seen.has(i.group)) seen.set(i.group, i.version);
  }
  return [...seen].map(([group, version]) => ({ group, version }));
}
