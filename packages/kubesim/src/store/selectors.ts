// Label and field selectors with the grammar and semantics of
// k8s.io/apimachinery/pkg/labels and pkg/fields. Parsing is pure and throws
// StatusError(400) like the real server on bad input.
import { badRequest } from "./errors.js";
import type { KubeObject, ResourceName } from "./types.js";

export type LabelRequirement =
  | { op: "exists"; key: string }
  | { op: "notexists"; key: string }
  | { op: "in"; key: string; values: string[] }
  | { op: "notin"; key: string; values: string[] };

export type LabelSelector = LabelRequirement[];

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(input: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of input) {
    if (ch === "(") depth += 1;
    if (ch === ")") depth -= 1;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

function checkKey(key: string, raw: string): string {
  if (!KEY.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${raw}"`);
  return key;
}

export function parseLabelSelector(selector: string | undefined): LabelSelector {
  if (selector === undefined || selector.trim() === "") return [];
  return splitTopLevel(selector).map((raw): LabelRequirement => {
    const setMatch = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(raw);
    if (setMatch) {
      const key = checkKey(setMatch[1] ?? "", raw);
      const values = (setMatch[3] ?? "").split(",").map((v) => v.trim()).filter((v) => v !== "");
      return setMatch[2] === "in" ? { op: "in", key, values } : { op: "notin", key, values };
    }
    const neq = /^([^!=\s]+)\s*!=\s*(\S*)$/.exec(raw);
    if (neq) return { op: "notin", key: checkKey(neq[1] ?? "", raw), values: [neq[2] ?? ""] };
    const eq = /^([^!=\s]+)\s*==?\s*(\S*)$/.exec(raw);
    if (eq) return { op: "in", key: checkKey(eq[1] ?? "", raw), values: [eq[2] ?? ""] };
    if (raw.startsWith("!")) return { op: "notexists", key: checkKey(raw.slice(1).trim(), raw) };
    if (/^\S+$/.test(raw)) return { op: "exists", key: checkKey(raw, raw) };
    throw badRequest(`unable to parse requirement: found '${raw}', expected: identifier`);
  });
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const req of selector) {
    const value = labels?.[req.key];
    switch (req.op) {
      case "exists":
        if (value === undefined) return false;
        break;
      case "notexists":
        if (value !== undefined) return false;
        break;
      case "in":
        if (value === undefined || !req.values.includes(value)) return false;
        break;
      case "notin":
        // As in Kubernetes: a missing key satisfies `notin` and `!=`.
        if (value !== undefined && req.values.includes(value)) return false;
        break;
    }
  }
  return true;
}

export interface FieldRequirement {
  field: string;
  value: string;
  equal: boolean;
}

export type FieldSelector = FieldRequirement[];

/** Field labels each resource supports, as registered by the real server. */
const FIELDS: Record<ResourceName, readonly string[]> = {
  namespaces: ["metadata.name", "status.phase"],
  pods: [
    "metadata.name",
    "metadata.namespace",
    "status.phase",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "status.podIP",
  ],
  jobs: ["metadata.name", "metadata.namespace", "status.successful"],
  secrets: ["metadata.name", "metadata.namespace", "type"],
  persistentvolumeclaims: ["metadata.name", "metadata.namespace"],
  configmaps: ["metadata.name", "metadata.namespace"],
  serviceaccounts: ["metadata.name", "metadata.namespace"],
  services: ["metadata.name", "metadata.namespace"],
  deployments: ["metadata.name", "metadata.namespace"],
  poddisruptionbudgets: ["metadata.name", "metadata.namespace"],
  networkpolicies: ["metadata.name", "metadata.namespace"],
  roles: ["metadata.name", "metadata.namespace"],
  rolebindings: ["metadata.name", "metadata.namespace"],
  customresourcedefinitions: ["metadata.name"],
  scaledobjects: ["metadata.name", "metadata.namespace"],
  events: [
    "metadata.name",
    "metadata.namespace",
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
  ],
};

export function parseFieldSelector(resource: ResourceName, selector: string | undefined): FieldSelector {
  if (selector === undefined || selector.trim() === "") return [];
  return splitTopLevel(selector).map((raw) => {
    const m = /^([^!=\s]+)\s*(!=|==|=)\s*(\S*)$/.exec(raw);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${raw}'`);
    const field = m[1] ?? "";
    if (!FIELDS[resource].includes(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    return { field, value: m[3] ?? "", equal: m[2] !== "!=" };
  });
}

function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return "";
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return "";
  return typeof cur === "string" ? cur : JSON.stringify(cur);
}

export function matchesFields(selector: FieldSelector, obj: KubeObject): boolean {
  for (const req of selector) {
    const actual = fieldValue(obj, req.field);
    if ((actual === req.value) !== req.equal) return false;
  }
  return true;
}

/** A compiled label + field selector for repeated matching (lists and watches). */
export interface ObjectFilter {
  (obj: KubeObject): boolean;
}

export function compileFilter(
  resource: ResourceName,
  labelSelector: string | undefined,
  fieldSelector: string | undefined,
): ObjectFilter {
  const labels = parseLabelSelector(labelSelector);
  const fields = parseFieldSelector(resource, fieldSelector);
  if (labels.length === 0 && fields.length === 0) return () => true;
  return (obj) => matchesLabels(labels, obj.metadata.labels) && matchesFields(fields, obj);
}
