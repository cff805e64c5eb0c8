import type { BuildahExecutor } from "../executor/buildah/buildah-executor.js";
// Contract between kubesim's object store (store/, server/) and the simulated
// control plane (controller/, kubelet/). Both sides code against these types only.

/** Plain JSON Kubernetes object as served on the wire. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/**
 * The resources kubesim serves. Cluster-scoped: namespaces and
 * customresourcedefinitions. The Job controller and kubelet act on pods and
 * jobs only; the others (workload, policy and RBAC kinds, KEDA's ScaledObject)
 * are stored and validated so that deployment manifests can be applied.
 */
export type ResourceName =
  | "namespaces"
  | "pods"
  | "jobs"
  | "secrets"
  | "configmaps"
  | "events"
  | "serviceaccounts"
  | "services"
  | "deployments"
  | "poddisruptionbudgets"
  | "networkpolicies"
  | "roles"
  | "rolebindings"
  | "customresourcedefinitions"
  | "scaledobjects";

export type PropagationPolicy = "Background" | "Foreground" | "Orphan";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

/** One change committed to the store; resourceVersion is global and strictly increasing. */
export interface StoreEvent {
  type: WatchEventType;
  resource: ResourceName;
  object: KubeObject;
  resourceVersion: number;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * Simulated time. `speed` > 1 makes simulated durations pass faster than
 * wall-clock time (a 60 s build with speed 60 takes 1 s). All controller and
 * kubelet timers go through the clock so tests can run long builds fast.
 */
export interface SimClock {
  readonly speed: number;
  /** Current simulated time. */
  now(): Date;
  /** Run `fn` after `simMs` simulated milliseconds. Returns a cancel function. */
  after(simMs: number, fn: () => void): () => void;
}

/**
 * In-memory object store with Kubernetes semantics. Methods throw `StatusError`
 * (store/errors.ts) carrying a real `kind: Status` body (NotFound, AlreadyExists,
 * Conflict, Invalid, ...). Returned objects are deep copies.
 */
export interface Store {
  readonly clock: SimClock;
  /** Assigns uid, resourceVersion, creationTimestamp, generation; resolves generateName; validates names. */
  create(resource: ResourceName, namespace: string | undefined, obj: KubeObject): KubeObject;
  get(resource: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined;
  list(
    resource: ResourceName,
    namespace: string | undefined,
    opts?: ListOptions,
  ): { items: KubeObject[]; resourceVersion: string };
  /**
   * Replace. When obj.metadata.resourceVersion is set and stale → 409 Conflict.
   * `subresource: "status"` replaces only `.status`; otherwise `.status` is kept.
   */
  update(
    resource: ResourceName,
    namespace: string | undefined,
    obj: KubeObject,
    opts?: { subresource?: "status" },
  ): KubeObject;
  /**
   * Internal read-modify-write for controllers: `fn` mutates a copy in place;
   * committed with a new resourceVersion only if it changed something.
   * Returns undefined if the object does not exist.
   */
  mutate(
    resource: ResourceName,
    namespace: string | undefined,
    name: string,
    fn: (obj: KubeObject) => void,
  ): KubeObject | undefined;
  /**
   * Delete honouring propagationPolicy for dependents (ownerReferences):
   * Background deletes the owner now and dependents right after; Foreground sets
   * deletionTimestamp + the foregroundDeletion finalizer and removes the owner
   * once dependents are gone; Orphan strips the ownerReference from dependents.
   */
  delete(
    resource: ResourceName,
    namespace: string | undefined,
    name: string,
    opts?: { propagationPolicy?: PropagationPolicy },
  ): KubeObject;
  /** Synchronous notification after each committed change. Returns unsubscribe. */
  subscribe(listener: (event: StoreEvent) => void): () => void;
}

/** Container logs kept by the kubelet stand-in and served by GET .../pods/{name}/log. */
export interface LogReadOptions {
  previous?: boolean;
  tailLines?: number;
  sinceTime?: Date;
  timestamps?: boolean;
}

export interface LogSource {
  /**
   * The container's log text so far (lines joined with "\n", trailing newline).
   * Throws StatusError (400 BadRequest, like the real kubelet) when the container
   * is unknown, has not started, or `previous` asks for an instance that never ran.
   */
  read(namespace: string, pod: string, container: string, opts: LogReadOptions): string;
  /**
   * Streams lines written after this call (the server first writes `read()`),
   * then calls onEnd once the container terminated or the pod is gone.
   * Returns an unsubscribe function.
   */
  follow(
    namespace: string,
    pod: string,
    container: string,
    onLine: (line: string) => void,
    onEnd: () => void,
  ): () => void;
}

/**
 * The simulated control plane (Job controller + kubelet stand-in) that the
 * server wires to a Store. Created by `createControlPlane` in controller/index.ts.
 */
export interface ControlPlane {
  readonly logs: LogSource;
  /** Replace all scenario rules from untrusted JSON/YAML-parsed data; throws StatusError(Invalid, 422) on bad input. */
  setScenario(rules: unknown): void;
  /** Append scenario rules (same validation). */
  addRules(rules: unknown): void;
  clearScenario(): void;
  /** Current rules as plain JSON (for GET on the control endpoint). */
  getScenario(): unknown;
  /** Start reacting to store events and resync existing objects (e.g. after a restart that kept state). */
  start(): void;
  /** Cancel every timer and unsubscribe; idempotent. */
  stop(): void;
}

export interface ControlPlaneOptions {
  /** Model Kubernetes ≤ 1.30: only the terminal Complete/Failed condition (no SuccessCriteriaMet/FailureTarget). */
  legacyJobConditions?: boolean;
  /** Default simulated run time of a container that no rule matches, in ms. */
  defaultRunMs?: number;
  /** Simulated delay between pod creation and container start, in ms. */
  startDelayMs?: number;
  /** Real builds (kubesim serve --executor=buildah); the scripted kubelet when absent. */
  executor?: BuildahExecutor;
  /** Pods mounting a Secret/ConfigMap that does not exist stay Pending with FailedMount (see KubeletOptions). */
  checkMounts?: boolean;
}
