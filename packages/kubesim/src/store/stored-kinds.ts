// Defaulting and validation of the kinds kubesim stores but does not act on
// (no Deployment controller, no network, no RBAC enforcement): Deployments,
// Services, PodDisruptionBudgets, NetworkPolicies, Roles, RoleBindings,
// ServiceAccounts, PersistentVolumeClaims, CustomResourceDefinitions and KEDA ScaledObjects. The checks
// are the ones the real server (or KEDA's CRD schema and webhook) makes that a
// hand-written manifest commonly fails; messages and fields follow the real ones.
import type { StatusCause } from "./errors.js";
import { matchesLabels, type LabelRequirement } from "./selectors.js";
import type { KubeObject, ResourceName } from "./types.js";

type Obj = Record<string, unknown>;

const asObj = (value: unknown): Obj | undefined =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Obj) : undefined;
const asStr = (value: unknown): string => (typeof value === "string" ? value : "");
const asArr = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : []);
const required = (field: string): StatusCause => ({ reason: "FieldValueRequired", message: "Required value", field });
const invalidValue = (field: string, value: unknown, why: string): StatusCause => ({
  reason: "FieldValueInvalid",
  message: `Invalid value: ${JSON.stringify(value)}: ${why}`,
  field,
});
const unsupported = (field: string, value: unknown, supported: string[]): StatusCause => ({
  reason: "FieldValueNotSupported",
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(", ")}`,
  field,
});

export type StoredKind = Exclude<ResourceName, "namespaces" | "pods" | "jobs" | "secrets" | "configmaps" | "events">;

/** metav1.LabelSelector (matchLabels + matchExpressions) as selector requirements. */
export function labelSelectorRequirements(selector: Obj): LabelRequirement[] {
  const reqs: LabelRequirement[] = Object.entries(asObj(selector.matchLabels) ?? {}).map(([key, value]) => ({
    op: "in",
    key,
    values: [String(value)],
  }));
  for (const raw of asArr(selector.matchExpressions)) {
    const e = asObj(raw) ?? {};
    const key = asStr(e.key);
    const values = asArr(e.values).map(String);
    switch (e.operator) {
      case "In":
        reqs.push({ op: "in", key, values });
        break;
      case "NotIn":
        reqs.push({ op: "notin", key, values });
        break;
      case "Exists":
        reqs.push({ op: "exists", key });
        break;
      default:
        reqs.push({ op: "notexists", key });
    }
  }
  return reqs;
}

function defaultDeployment(obj: KubeObject): void {
  const spec = asObj(obj.spec) ?? {};
  obj.spec = spec;
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  spec.strategy ??= { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } };
  obj.status = {};
}

function validateDeployment(obj: KubeObject, checkPodSpec: (spec: Obj | undefined, path: string) => StatusCause[]): StatusCause[] {
  const spec = asObj(obj.spec) ?? {};
  const causes: StatusCause[] = [];
  const selector = asObj(spec.selector);
  const template = asObj(spec.template) ?? {};
  if (!selector) causes.push(required("spec.selector"));
  else {
    const reqs = labelSelectorRequirements(selector);
    if (reqs.length === 0) causes.push(invalidValue("spec.selector", selector, "empty selector is invalid for deployment"));
    const labels = asObj(asObj(template.metadata)?.labels) as Record<string, string> | undefined;
    if (reqs.length > 0 && !matchesLabels(reqs, labels)) {
      causes.push(invalidValue("spec.template.metadata.labels", labels ?? {}, "`selector` does not match template `labels`"));
    }
  }
  if (typeof spec.replicas === "number" && spec.replicas < 0) {
    causes.push(invalidValue("spec.replicas", spec.replicas, "must be greater than or equal to 0"));
  }
  const podSpec = asObj(template.spec);
  causes.push(...checkPodSpec(podSpec, "spec.template.spec"));
  const policy = podSpec?.restartPolicy;
  if (policy !== undefined && policy !== "Always") causes.push(unsupported("spec.template.spec.restartPolicy", policy, ["Always"]));
  return causes;
}

function defaultService(obj: KubeObject): void {
  const spec = asObj(obj.spec) ?? {};
  obj.spec = spec;
  spec.type ??= "ClusterIP";
  spec.sessionAffinity ??= "None";
  for (const raw of asArr(spec.ports)) {
    const port = asObj(raw);
    if (!port) continue;
    port.protocol ??= "TCP";
    port.targetPort ??= port.port;
  }
  obj.status = { loadBalancer: {} };
}

function validateService(obj: KubeObject): StatusCause[] {
  const spec = asObj(obj.spec) ?? {};
  if (spec.type === "ExternalName") return [];
  const ports = asArr(spec.ports);
  if (ports.length === 0 && spec.clusterIP !== "None") return [required("spec.ports")];
  const causes: StatusCause[] = [];
  ports.forEach((raw, i) => {
    const port = asObj(raw) ?? {};
    if (ports.length > 1 && (typeof port.name !== "string" || port.name === "")) causes.push(required(`spec.ports[${i}].name`));
    if (typeof port.port !== "number" || port.port < 1 || port.port > 65535) {
      causes.push(invalidValue(`spec.ports[${i}].port`, port.port, "must be between 1 and 65535, inclusive"));
    }
  });
  return causes;
}

const PERCENT = /^[0-9]+%$/;

function validateIntOrPercent(value: unknown, field: string): StatusCause[] {
  if (value === undefined || typeof value === "number") return [];
  if (typeof value === "string" && PERCENT.test(value)) return [];
  return [invalidValue(field, value, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
}

function validatePdb(obj: KubeObject): StatusCause[] {
  const spec = asObj(obj.spec) ?? {};
  const causes = [...validateIntOrPercent(spec.minAvailable, "spec.minAvailable"), ...validateIntOrPercent(spec.maxUnavailable, "spec.maxUnavailable")];
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    causes.push(invalidValue("spec", spec, "minAvailable and maxUnavailable cannot be both set"));
  }
  return causes;
}

function defaultNetworkPolicy(obj: KubeObject): void {
  const spec = asObj(obj.spec) ?? {};
  obj.spec = spec;
  spec.policyTypes ??= spec.egress === undefined ? ["Ingress"] : ["Ingress", "Egress"];
  for (const rule of [...asArr(spec.ingress), ...asArr(spec.egress)]) {
    for (const raw of asArr(asObj(rule)?.ports)) {
      const port = asObj(raw);
      if (port) port.protocol ??= "TCP";
    }
  }
}

function validateNetworkPolicy(obj: KubeObject): StatusCause[] {
  const spec = asObj(obj.spec) ?? {};
  const causes: StatusCause[] = [];
  if (!asObj(spec.podSelector)) causes.push(required("spec.podSelector"));
  asArr(spec.policyTypes).forEach((t, i) => {
    if (t !== "Ingress" && t !== "Egress") causes.push(unsupported(`spec.policyTypes[${i}]`, t, ["Ingress", "Egress"]));
  });
  for (const [direction, peersKey] of [
    ["ingress", "from"],
    ["egress", "to"],
  ] as const) {
    asArr(spec[direction]).forEach((rawRule, i) => {
      const rule = asObj(rawRule) ?? {};
      asArr(rule.ports).forEach((rawPort, j) => {
        const protocol = asObj(rawPort)?.protocol;
        if (protocol !== "TCP" && protocol !== "UDP" && protocol !== "SCTP") {
          causes.push(unsupported(`spec.${direction}[${i}].ports[${j}].protocol`, protocol, ["SCTP", "TCP", "UDP"]));
        }
      });
      asArr(rule[peersKey]).forEach((rawPeer, j) => {
        const peer = asObj(rawPeer) ?? {};
        const set = ["podSelector", "namespaceSelector", "ipBlock"].filter((k) => peer[k] !== undefined);
        if (set.length === 0) causes.push(required(`spec.${direction}[${i}].${peersKey}[${j}]`));
        if (peer.ipBlock !== undefined && set.length > 1) {
          causes.push(invalidValue(`spec.${direction}[${i}].${peersKey}[${j}]`, peer, "may not specify more than 1 peer type when ipBlock is set"));
        }
      });
    });
  }
  return causes;
}

function validateRole(obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  asArr(obj.rules).forEach((raw, i) => {
    const rule = asObj(raw) ?? {};
    if (asArr(rule.verbs).length === 0) causes.push(required(`rules[${i}].verbs`));
    if (asArr(rule.nonResourceURLs).length > 0) {
      causes.push(invalidValue(`rules[${i}].nonResourceURLs`, rule.nonResourceURLs, "namespaced rules cannot apply to non-resource URLs"));
      return;
    }
    if (asArr(rule.apiGroups).length === 0) causes.push({ ...required(`rules[${i}].apiGroups`), message: "Required value: resource rules must supply at least one api group" });
    if (asArr(rule.resources).length === 0) causes.push({ ...required(`rules[${i}].resources`), message: "Required value: resource rules must supply at least one resource" });
  });
  return causes;
}

function validateRoleBinding(obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const roleRef = asObj(obj.roleRef) ?? {};
  if (roleRef.kind !== "Role" && roleRef.kind !== "ClusterRole") causes.push(unsupported("roleRef.kind", roleRef.kind ?? "", ["Role", "ClusterRole"]));
  if (roleRef.apiGroup !== "rbac.authorization.k8s.io") causes.push(unsupported("roleRef.apiGroup", roleRef.apiGroup ?? "", ["rbac.authorization.k8s.io"]));
  if (typeof roleRef.name !== "string" || roleRef.name === "") causes.push(required("roleRef.name"));
  asArr(obj.subjects).forEach((raw, i) => {
    const subject = asObj(raw) ?? {};
    if (typeof subject.name !== "string" || subject.name === "") causes.push(required(`subjects[${i}].name`));
    if (subject.kind !== "ServiceAccount" && subject.kind !== "User" && subject.kind !== "Group") {
      causes.push(unsupported(`subjects[${i}].kind`, subject.kind ?? "", ["ServiceAccount", "User", "Group"]));
    }
    if (subject.kind === "ServiceAccount" && subject.apiGroup !== undefined && subject.apiGroup !== "") {
      causes.push(unsupported(`subjects[${i}].apiGroup`, subject.apiGroup, [""]));
    }
  });
  return causes;
}

const ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

/**
 * No PV controller or provisioner: a stored claim is at once Bound to a
 * volume named like a dynamically provisioned one (`pvc-<uid>`), in the
 * default StorageClass, as on a cluster whose provisioner answers at once.
 */
function defaultPvc(obj: KubeObject): void {
  const spec = asObj(obj.spec) ?? {};
  obj.spec = spec;
  spec.volumeMode ??= "Filesystem";
  spec.storageClassName ??= "standard";
  spec.volumeName ??= `pvc-${obj.metadata.uid ?? ""}`;
  const storage = asObj(asObj(spec.resources)?.requests)?.storage;
  obj.status = { phase: "Bound", accessModes: asArr(spec.accessModes), capacity: storage === undefined ? {} : { storage } };
}

/** The checks of the real ValidatePersistentVolumeClaimSpec a hand-written claim commonly fails. */
function validatePvc(obj: KubeObject): StatusCause[] {
  const spec = asObj(obj.spec) ?? {};
  const causes: StatusCause[] = [];
  const modes = asArr(spec.accessModes);
  if (modes.length === 0) causes.push({ ...required("spec.accessModes"), message: "Required value: at least 1 access mode is required" });
  modes.forEach((m) => {
    if (typeof m !== "string" || !ACCESS_MODES.includes(m)) causes.push(unsupported("spec.accessModes", m, ACCESS_MODES));
  });
  if (asObj(asObj(spec.resources)?.requests)?.storage === undefined) causes.push(required("spec.resources[storage]"));
  return causes;
}

function defaultCrd(obj: KubeObject): void {
  const spec = asObj(obj.spec) ?? {};
  // No establishing controller: a stored CRD is at once Established, as a healthy server makes it.
  const now = obj.metadata.creationTimestamp ?? "";
  obj.status = {
    acceptedNames: spec.names ?? {},
    storedVersions: asArr(spec.versions).filter((v) => asObj(v)?.storage === true).map((v) => asObj(v)?.name),
    conditions: [
      { type: "NamesAccepted", status: "True", reason: "NoConflicts", message: "no conflicts found", lastTransitionTime: now },
      { type: "Established", status: "True", reason: "InitialNamesAccepted", message: "the initial names have been accepted", lastTransitionTime: now },
    ],
  };
}

function validateCrd(obj: KubeObject): StatusCause[] {
  const spec = asObj(obj.spec) ?? {};
  const names = asObj(spec.names) ?? {};
  const causes: StatusCause[] = [];
  const expected = `${asStr(names.plural)}.${asStr(spec.group)}`;
  if (obj.metadata.name !== expected) causes.push(invalidValue("metadata.name", obj.metadata.name, 'must be spec.names.plural+"."+spec.group'));
  if (spec.scope !== "Namespaced" && spec.scope !== "Cluster") causes.push(unsupported("spec.scope", spec.scope ?? "", ["Cluster", "Namespaced"]));
  if (typeof names.kind !== "string" || names.kind === "") causes.push(required("spec.names.kind"));
  const versions = asArr(spec.versions);
  if (versions.length === 0) causes.push(required("spec.versions"));
  else if (versions.filter((v) => asObj(v)?.storage === true).length !== 1) {
    causes.push(invalidValue("spec.versions", versions.length, "must have exactly one version marked as storage version"));
  }
  return causes;
}

/** What KEDA's ScaledObject CRD schema requires, plus its webhook's replica-count check. */
function validateScaledObject(obj: KubeObject): StatusCause[] {
  const spec = asObj(obj.spec) ?? {};
  const causes: StatusCause[] = [];
  const target = asObj(spec.scaleTargetRef);
  if (!target) causes.push(required("spec.scaleTargetRef"));
  else if (typeof target.name !== "string" || target.name === "") causes.push(required("spec.scaleTargetRef.name"));
  if (!Array.isArray(spec.triggers)) causes.push(required("spec.triggers"));
  asArr(spec.triggers).forEach((raw, i) => {
    const trigger = asObj(raw) ?? {};
    if (typeof trigger.type !== "string" || trigger.type === "") causes.push(required(`spec.triggers[${i}].type`));
    const metadata = asObj(trigger.metadata);
    if (!metadata) causes.push(required(`spec.triggers[${i}].metadata`));
    for (const [key, value] of Object.entries(metadata ?? {})) {
      // The schema says map[string]string: `threshold: 10` is refused, `"10"` is not.
      if (typeof value !== "string") causes.push({ reason: "FieldValueTypeInvalid", message: `Invalid value: "${typeof value}": spec.triggers[${i}].metadata.${key} in body must be of type string`, field: `spec.triggers[${i}].metadata.${key}` });
    }
  });
  for (const field of ["minReplicaCount", "maxReplicaCount", "cooldownPeriod", "pollingInterval"]) {
    const v = spec[field];
    if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < 0)) causes.push(invalidValue(`spec.${field}`, v, "must be a non-negative integer"));
  }
  const min = typeof spec.minReplicaCount === "number" ? spec.minReplicaCount : 0;
  const max = typeof spec.maxReplicaCount === "number" ? spec.maxReplicaCount : 100;
  if (min > max) causes.push(invalidValue("spec", spec, `MinReplicaCount=${min} must be less than MaxReplicaCount=${max}`));
  return causes;
}

/** Create-time defaulting; mutates `obj` (a private copy). */
export function defaultStoredKind(resource: StoredKind, obj: KubeObject): void {
  switch (resource) {
    case "deployments":
      defaultDeployment(obj);
      break;
    case "services":
      defaultService(obj);
      break;
    case "networkpolicies":
      defaultNetworkPolicy(obj);
      break;
    case "customresourcedefinitions":
      defaultCrd(obj);
      break;
    case "persistentvolumeclaims":
      defaultPvc(obj);
      break;
    case "poddisruptionbudgets":
    case "scaledobjects":
      obj.status = {};
      break;
    case "serviceaccounts":
    case "roles":
    case "rolebindings":
      break;
  }
}

/** Validation after defaulting; empty when valid. `checkPodSpec` is the pod validation the Job path uses. */
export function validateStoredKind(
  resource: StoredKind,
  obj: KubeObject,
  checkPodSpec: (spec: Obj | undefined, path: string) => StatusCause[],
): StatusCause[] {
  switch (resource) {
    case "deployments":
      return validateDeployment(obj, checkPodSpec);
    case "services":
      return validateService(obj);
    case "poddisruptionbudgets":
      return validatePdb(obj);
    case "networkpolicies":
      return validateNetworkPolicy(obj);
    case "roles":
      return validateRole(obj);
    case "rolebindings":
      return validateRoleBinding(obj);
    case "customresourcedefinitions":
      return validateCrd(obj);
    case "scaledobjects":
      return validateScaledObject(obj);
    case "persistentvolumeclaims":
      return validatePvc(obj);
    case "serviceaccounts":
      return [];
  }
}
