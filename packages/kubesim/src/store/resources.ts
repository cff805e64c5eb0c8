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
}

function info(
  resource: ResourceName,
  kind: string,
  group: string,
  namespaced: boolean,
  shortNames: string[],
  hasStatus: boolean,
): ResourceInfo {
  const version = "v1";
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
  };
}

export const RESOURCES: Readonly<Record<ResourceName, ResourceInfo>> = {
  namespaces: info("namespaces", "Namespace", "", false, ["ns"], true),
  pods: info("pods", "Pod", "", true, ["po"], true),
  secrets: info("secrets", "Secret", "", true, [], false),
  configmaps: info("configmaps", "ConfigMap", "", true, ["cm"], false),
  events: info("events", "Event", "", true, ["ev"], false),
  jobs: info("jobs", "Job", "batch", true, [], true),
};

export const RESOURCE_NAMES = Object.keys(RESOURCES) as ResourceName[];

export function isResourceName(value: string): value is ResourceName {
  return Object.hasOwn(RESOURCES, value);
}
