// meta.k8s.io/v1 Table rendering for `kubectl get`, with the columns real
// servers print for each Kind. Pure functions over plain objects.
import type { KubeObject, ResourceName } from "../store/types.js";

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number;

const col = (name: string, type = "string", format = "", priority = 0): Column => ({
  name,
  type,
  format,
  description: name,
  priority,
});

/** kubectl's duration.HumanDuration, so Age cells read like a real cluster's. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (h < 24 * 365 * 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

type Obj = Record<string, unknown>;
const get = (o: unknown, ...path: string[]): unknown => {
  let cur = o;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Obj)[p];
  }
  return cur;
};
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const num = (v: unknown): number => (typeof v === "number" ? v : 0);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

const MODE_SHORT: Record<string, string> = { ReadWriteOnce: "RWO", ReadOnlyMany: "ROX", ReadWriteMany: "RWX", ReadWriteOncePod: "RWOP" };
/** A claim's access modes as kubectl prints them: RWO,ROX. */
const accessModes = (modes: unknown[]): string => modes.map((m) => MODE_SHORT[String(m)] ?? String(m)).join(",");

function age(obj: KubeObject, now: Date): string {
  const created = obj.metadata.creationTimestamp;
  return created ? humanDuration(now.getTime() - Date.parse(created)) : "<unknown>";
}

function jobStatus(obj: KubeObject): string {
  const conditions = arr(get(obj, "status", "conditions")).filter((c) => c.status === "True");
  const has = (t: string) => conditions.some((c) => c.type === t);
  if (has("Complete")) return "Complete";
  if (has("Failed")) return "Failed";
  if (obj.metadata.deletionTimestamp) return "Terminating";
  if (has("FailureTarget")) return "FailureTarget";
  if (has("SuccessCriteriaMet")) return "SuccessCriteriaMet";
  if (has("Suspended")) return "Suspended";
  return "Running";
}

function jobDuration(obj: KubeObject, now: Date): string {
  const start = str(get(obj, "status", "startTime"));
  if (!start) return "";
  const end = str(get(obj, "status", "completionTime"));
  return humanDuration((end ? Date.parse(end) : now.getTime()) - Date.parse(start));
}

function podStatus(obj: KubeObject): string {
  if (obj.metadata.deletionTimestamp) return "Terminating";
  let reason = str(get(obj, "status", "reason")) || str(get(obj, "status", "phase"));
  for (const cs of arr(get(obj, "status", "containerStatuses"))) {
    const waiting = str(get(cs, "state", "waiting", "reason"));
    const terminated = str(get(cs, "state", "terminated", "reason"));
    if (waiting && waiting !== "ContainerCreating") reason = waiting;
    else if (terminated) reason = terminated;
    else if (waiting) reason = waiting;
  }
  return reason || "Pending";
}

interface Renderer {
  columns: Column[];
  cells(obj: KubeObject, now: Date): Cell[];
}

/** NAME and AGE, the columns every Kind has; kinds kubesim only stores use these. */
const NAME_AGE: Renderer = {
  columns: [col("Name", "string", "name"), col("Age")],
  cells: (obj, now) => [obj.metadata.name ?? "", age(obj, now)],
};

const RENDERERS: Record<ResourceName, Renderer> = {
  serviceaccounts: NAME_AGE,
  services: NAME_AGE,
  deployments: {
    columns: [col("Name", "string", "name"), col("Ready"), col("Up-to-date", "integer"), col("Available", "integer"), col("Age")],
    cells: (obj, now) => [
      obj.metadata.name ?? "",
      // No Deployment controller: nothing becomes ready.
      `${num(get(obj, "status", "readyReplicas"))}/${num(get(obj, "spec", "replicas"))}`,
      num(get(obj, "status", "updatedReplicas")),
      num(get(obj, "status", "availableReplicas")),
      age(obj, now),
    ],
  },
  poddisruptionbudgets: NAME_AGE,
  networkpolicies: NAME_AGE,
  roles: NAME_AGE,
  rolebindings: NAME_AGE,
  customresourcedefinitions: NAME_AGE,
  persistentvolumeclaims: {
    // kubectl's columns for claims (VOLUMEATTRIBUTESCLASS left out: kubesim has none).
    columns: [col("Name", "string", "name"), col("Status"), col("Volume"), col("Capacity"), col("Access Modes"), col("StorageClass"), col("Age")],
    cells: (obj, now) => [
      obj.metadata.name ?? "",
      str(get(obj, "status", "phase")),
      str(get(obj, "spec", "volumeName")),
      str(get(obj, "status", "capacity", "storage")),
      accessModes(Array.isArray(get(obj, "status", "accessModes")) ? (get(obj, "status", "accessModes") as unknown[]) : []),
      str(get(obj, "spec", "storageClassName")),
      age(obj, now),
    ],
  },
  scaledobjects: NAME_AGE,
  jobs: {
    columns: [col("Name", "string", "name"), col("Status"), col("Completions"), col("Duration"), col("Age"), col("Containers", "string", "", 1), col("Images", "string", "", 1), col("Selector", "string", "", 1)],
    cells(obj, now) {
      const containers = arr(get(obj, "spec", "template", "spec", "containers"));
      const selector = get(obj, "spec", "selector", "matchLabels") as Record<string, string> | undefined;
      return [
        obj.metadata.name ?? "",
        jobStatus(obj),
        `${num(get(obj, "status", "succeeded"))}/${num(get(obj, "spec", "completions")) || 1}`,
        jobDuration(obj, now),
        age(obj, now),
        containers.map((c) => str(c.name)).join(","),
        containers.map((c) => str(c.image)).join(","),
        Object.entries(selector ?? {}).map(([k, v]) => `${k}=${v}`).join(","),
      ];
    },
  },
  pods: {
    columns: [col("Name", "string", "name"), col("Ready"), col("Status"), col("Restarts", "string"), col("Age"), col("IP", "string", "", 1), col("Node", "string", "", 1)],
    cells(obj, now) {
      const statuses = arr(get(obj, "status", "containerStatuses"));
      const total = arr(get(obj, "spec", "containers")).length;
      const ready = statuses.filter((s) => s.ready === true).length;
      const restarts = statuses.reduce((n, s) => n + num(s.restartCount), 0);
      return [obj.metadata.name ?? "", `${ready}/${total}`, podStatus(obj), String(restarts), age(obj, now), str(get(obj, "status", "podIP")) || "<none>", str(get(obj, "spec", "nodeName")) || "<none>"];
    },
  },
  namespaces: {
    columns: [col("Name", "string", "name"), col("Status"), col("Age")],
    cells: (obj, now) => [obj.metadata.name ?? "", str(get(obj, "status", "phase")), age(obj, now)],
  },
  secrets: {
    columns: [col("Name", "string", "name"), col("Type"), col("Data", "integer"), col("Age")],
    cells: (obj, now) => [obj.metadata.name ?? "", str(obj.type), Object.keys((obj.data as Obj | undefined) ?? {}).length, age(obj, now)],
  },
  configmaps: {
    columns: [col("Name", "string", "name"), col("Data", "integer"), col("Age")],
    cells: (obj, now) => [
      obj.metadata.name ?? "",
      Object.keys((obj.data as Obj | undefined) ?? {}).length + Object.keys((obj.binaryData as Obj | undefined) ?? {}).length,
      age(obj, now),
    ],
  },
  events: {
    columns: [col("Last Seen"), col("Type"), col("Reason"), col("Object"), col("Message"), col("Name", "string", "name", 1)],
    cells(obj, now) {
      const last = str(obj.lastTimestamp) || str(obj.eventTime) || obj.metadata.creationTimestamp || "";
      const involved = `${str(get(obj, "involvedObject", "kind")).toLowerCase()}/${str(get(obj, "involvedObject", "name"))}`;
      return [last ? humanDuration(now.getTime() - Date.parse(last)) : "<unknown>", str(obj.type), str(obj.reason), involved, str(obj.message), obj.metadata.name ?? ""];
    },
  },
};

export type IncludeObject = "None" | "Metadata" | "Object";

export function toTable(
  resource: ResourceName,
  items: KubeObject[],
  now: Date,
  meta: { resourceVersion?: string; continue?: string },
  include: IncludeObject = "Metadata",
) {
  const renderer = RENDERERS[resource];
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: meta,
    columnDefinitions: renderer.columns,
    rows: items.map((obj) => ({
      cells: renderer.cells(obj, now),
      object:
        include === "Object"
          ? obj
          : include === "None"
            ? undefined
            : { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata },
    })),
  };
}
