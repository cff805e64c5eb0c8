// In-memory object store with Kubernetes semantics: global resourceVersion,
// optimistic concurrency, status subresource, generateName, finalizers,
// ownerReference garbage collection and delete propagation.
import { randomUUID } from "node:crypto";
import { createSimClock } from "./clock.js";
import { jsonCopy, jsonEqual } from "./copy.js";
import { applyCreateDefaults, applyUpdateDefaults, validateSpec } from "./defaults.js";
import { alreadyExists, badRequest, conflict, invalid, notFound, type StatusError } from "./errors.js";
import { EventHistory } from "./history.js";
import { randomSuffix, validateName } from "./names.js";
import { RESOURCES, RESOURCE_NAMES } from "./resources.js";
import { compileFilter, type ObjectFilter } from "./selectors.js";
import type {
  KubeObject,
  ListOptions,
  PropagationPolicy,
  ResourceName,
  SimClock,
  Store,
  StoreEvent,
  WatchEventType,
} from "./types.js";

export interface StoreOptions {
  /** Events kept for watch resumption; older resourceVersions get 410 Expired. Default 10_000. */
  historySize?: number;
  /** Simulated time speed factor (ignored when `clock` is given). Default 1. */
  speed?: number;
  clock?: SimClock;
  /** Namespaces created at start and after a restart that lost state. */
  initialNamespaces?: string[];
  /** Randomness for generateName suffixes (seed it for deterministic tests). */
  random?: () => number;
}

export interface PageOptions {
  filter?: ObjectFilter;
  limit?: number;
  /** Key after which to continue (from a previous page's `continueKey`). */
  after?: string;
}

export interface Page {
  items: KubeObject[];
  resourceVersion: string;
  /** Set when more items remain. */
  continueKey?: string;
}

/** The store plus what the HTTP layer and the control handle need beyond the shared contract. */
export interface SimStore extends Store {
  /** Current (latest committed) resourceVersion. */
  currentResourceVersion(): number;
  /** True when events after `rv` are no longer all kept (a watch or continue from it gets 410). */
  isCompacted(rv: number): boolean;
  /** Events after `rv`, or a 410 Expired StatusError when they were compacted away. */
  eventsSince(rv: number): StoreEvent[] | StatusError;
  /** One page of a list in key order (namespace/name), items are read-only views: do not mutate. */
  listPage(resource: ResourceName, namespace: string | undefined, opts?: PageOptions): Page;
  count(resource: ResourceName): number;
  /** `dryRun`: validate and return what would be stored, without committing (the API's dryRun=All). */
  create(resource: ResourceName, namespace: string | undefined, obj: KubeObject, opts?: { dryRun?: boolean }): KubeObject;
  update(
    resource: ResourceName,
    namespace: string | undefined,
    obj: KubeObject,
    opts?: { subresource?: "status"; dryRun?: boolean },
  ): KubeObject;
  delete(
    resource: ResourceName,
    namespace: string | undefined,
    name: string,
    opts?: { propagationPolicy?: PropagationPolicy; dryRun?: boolean },
  ): KubeObject;
  /** Restart that lost state: every object vanishes (no events), resourceVersion keeps increasing, history expires. */
  wipe(): void;
}

export const DEFAULT_NAMESPACES = ["default", "kube-system", "buildfleet"];

const clone = jsonCopy;

function keyOf(namespace: string | undefined, name: string): string {
  return namespace === undefined ? name : `${namespace}/${name}`;
}

/** Key-order-insensitive: clients (client-node's serializer) reorder fields. */
const sameSpec = (a: KubeObject, b: KubeObject): boolean => jsonEqual(a.spec ?? null, b.spec ?? null);

function sameIgnoringRv(a: KubeObject, b: KubeObject): boolean {
  const { resourceVersion: _a, ...metaA } = a.metadata;
  const { resourceVersion: _b, ...metaB } = b.metadata;
  return jsonEqual({ ...a, metadata: metaA }, { ...b, metadata: metaB });
}

export function createStore(options: StoreOptions = {}): SimStore {
  const clock = options.clock ?? createSimClock(options.speed ?? 1);
  const random = options.random ?? Math.random;
  const history = new EventHistory(options.historySize ?? 10_000);
  const initialNamespaces = options.initialNamespaces ?? DEFAULT_NAMESPACES;
  const listeners = new Set<(event: StoreEvent) => void>();
  const objects = new Map<ResourceName, Map<string, KubeObject>>(RESOURCE_NAMES.map((r) => [r, new Map()]));
  const sortedKeys = new Map<ResourceName, string[] | undefined>();
  /** uid → where the object lives, to resolve ownerReferences. */
  const byUid = new Map<string, { resource: ResourceName; key: string }>();
  /** owner uid → dependents ("resource\0key"). */
  const dependents = new Map<string, Set<string>>();
  let rv = 0;
  let gcScheduled = false;
  const gcQueue = new Set<string>();

  const table = (resource: ResourceName): Map<string, KubeObject> => objects.get(resource) ?? new Map<string, KubeObject>();

  function ref(resource: ResourceName) {
    return { resource, group: RESOURCES[resource].group };
  }

  function checkScope(resource: ResourceName, namespace: string | undefined): string | undefined {
    if (RESOURCES[resource].namespaced) {
      if (namespace === undefined || namespace === "") throw badRequest("the server could not find the requested resource: namespace is required");
      return namespace;
    }
    return undefined;
  }

  function indexOwners(resource: ResourceName, key: string, obj: KubeObject | undefined, previous: KubeObject | undefined): void {
    const id = `${resource}\0${key}`;
    for (const o of previous?.metadata.ownerReferences ?? []) {
      const set = dependents.get(o.uid);
      set?.delete(id);
      // Drop empty entries, or every Job that ever ran would leave one behind.
      if (set?.size === 0) dependents.delete(o.uid);
    }
    for (const o of obj?.metadata.ownerReferences ?? []) {
      let set = dependents.get(o.uid);
      if (!set) dependents.set(o.uid, (set = new Set()));
      set.add(id);
    }
  }

  function emit(type: WatchEventType, resource: ResourceName, stored: KubeObject): void {
    // One copy per event, shared by all listeners: listeners must treat it as read-only.
    const event: StoreEvent = { type, resource, object: clone(stored), resourceVersion: rv };
    history.push(event);
    for (const listener of listeners) listener(event);
  }

  function commit(resource: ResourceName, key: string, next: KubeObject, previous: KubeObject | undefined): KubeObject {
    rv += 1;
    next.metadata.resourceVersion = String(rv);
    table(resource).set(key, next);
    if (!previous) {
      sortedKeys.set(resource, undefined);
      if (next.metadata.uid) byUid.set(next.metadata.uid, { resource, key });
    }
    indexOwners(resource, key, next, previous);
    emit(previous ? "MODIFIED" : "ADDED", resource, next);
    return next;
  }

  function remove(resource: ResourceName, key: string, obj: KubeObject): void {
    rv += 1;
    const final = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    table(resource).delete(key);
    sortedKeys.set(resource, undefined);
    if (obj.metadata.uid) byUid.delete(obj.metadata.uid);
    indexOwners(resource, key, undefined, obj);
    emit("DELETED", resource, final);
    const uid = obj.metadata.uid;
    if (uid && (dependents.get(uid)?.size ?? 0) > 0) scheduleGc(uid);
    // An owner waiting in foreground deletion may now be free to go.
    for (const owner of obj.metadata.ownerReferences ?? []) finishForeground(owner.uid);
  }

  /** Removes the object now, or marks it deleting when finalizers hold it. */
  function removeOrMark(resource: ResourceName, key: string, obj: KubeObject): KubeObject {
    if ((obj.metadata.finalizers?.length ?? 0) > 0) {
      if (obj.metadata.deletionTimestamp) return clone(obj);
      const next = clone(obj);
      next.metadata.deletionTimestamp = clock.now().toISOString();
      next.metadata.deletionGracePeriodSeconds = 0;
      return clone(commit(resource, key, next, obj));
    }
    remove(resource, key, obj);
    return clone(obj);
  }

  function dependentsOf(uid: string): Array<{ resource: ResourceName; key: string }> {
    return [...(dependents.get(uid) ?? [])].map((id) => {
      const [resource, key] = id.split("\0") as [ResourceName, string];
      return { resource, key };
    });
  }

  function finishForeground(ownerUid: string): void {
    const where = byUid.get(ownerUid);
    if (!where) return;
    const owner = table(where.resource).get(where.key);
    if (!owner?.metadata.deletionTimestamp || !owner.metadata.finalizers?.includes("foregroundDeletion")) return;
    if ((dependents.get(ownerUid)?.size ?? 0) > 0) return;
    const next = clone(owner);
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== "foregroundDeletion");
    if (next.metadata.finalizers.length === 0) remove(where.resource, where.key, owner);
    else commit(where.resource, where.key, next, owner);
  }

  /** Garbage collector: dependents whose owners are all gone are deleted (in the background, like the real GC). */
  function scheduleGc(uid: string): void {
    gcQueue.add(uid);
    if (gcScheduled) return;
    gcScheduled = true;
    setImmediate(() => {
      gcScheduled = false;
      const uids = [...gcQueue];
      gcQueue.clear();
      for (const dead of uids) collect(dead, "Background");
    });
  }

  function collect(deadUid: string, policy: PropagationPolicy): void {
    if (byUid.has(deadUid)) return;
    for (const { resource, key } of dependentsOf(deadUid)) {
      const dep = table(resource).get(key);
      if (!dep) continue;
      const alive = (dep.metadata.ownerReferences ?? []).filter((o) => byUid.has(o.uid));
      if (alive.length > 0) {
        const next = clone(dep);
        next.metadata.ownerReferences = alive;
        commit(resource, key, next, dep);
      } else {
        deleteAt(resource, key, dep, policy);
      }
    }
  }

  function deleteAt(resource: ResourceName, key: string, obj: KubeObject, policy: PropagationPolicy): KubeObject {
    if (obj.metadata.deletionTimestamp) return clone(obj);
    const uid = obj.metadata.uid ?? "";
    if (resource === "namespaces") {
      // Namespace deletion removes everything inside it first.
      for (const r of RESOURCE_NAMES) {
        if (!RESOURCES[r].namespaced) continue;
        for (const [k, o] of [...table(r)]) if (o.metadata.namespace === obj.metadata.name) remove(r, k, o);
      }
      return removeOrMark(resource, key, obj);
    }
    switch (policy) {
      case "Orphan": {
        for (const d of dependentsOf(uid)) {
          const dep = table(d.resource).get(d.key);
          if (!dep) continue;
          const next = clone(dep);
          next.metadata.ownerReferences = (dep.metadata.ownerReferences ?? []).filter((o) => o.uid !== uid);
          if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
          commit(d.resource, d.key, next, dep);
        }
        return removeOrMark(resource, key, obj);
      }
      case "Foreground": {
        if ((dependents.get(uid)?.size ?? 0) === 0) return removeOrMark(resource, key, obj);
        const next = clone(obj);
        next.metadata.deletionTimestamp = clock.now().toISOString();
        next.metadata.deletionGracePeriodSeconds = 0;
        next.metadata.finalizers = [...(obj.metadata.finalizers ?? []), "foregroundDeletion"];
        const marked = clone(commit(resource, key, next, obj));
        for (const d of dependentsOf(uid)) {
          const dep = table(d.resource).get(d.key);
          if (dep) deleteAt(d.resource, d.key, dep, "Foreground");
        }
        const after = table(resource).get(key);
        return after ? clone(after) : marked;
      }
      case "Background":
        return removeOrMark(resource, key, obj);
    }
  }

  function sorted(resource: ResourceName): string[] {
    let keys = sortedKeys.get(resource);
    if (!keys) {
      keys = [...table(resource).keys()].sort();
      sortedKeys.set(resource, keys);
    }
    return keys;
  }

  function firstIndexAfter(keys: string[], after: string): number {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((keys[mid] ?? "") <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  const store: SimStore = {
    clock,

    create(resource, namespace, input, opts = {}) {
      const ns = checkScope(resource, namespace);
      const info = RESOURCES[resource];
      const obj = clone(input);
      obj.apiVersion = info.apiVersion;
      obj.kind = info.kind;
      obj.metadata = obj.metadata ?? {};
      if (obj.metadata.namespace !== undefined && ns !== undefined && obj.metadata.namespace !== ns) {
        throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      if (ns !== undefined && !table("namespaces").has(ns)) throw notFound(ref("namespaces"), ns);
      let name = obj.metadata.name ?? "";
      if (name === "" && obj.metadata.generateName) {
        do name = obj.metadata.generateName + randomSuffix(random);
        while (table(resource).has(keyOf(ns, name)));
      }
      if (name === "") {
        throw invalid(info.kind, info.group, "", [
          { reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name" },
        ]);
      }
      // A Job name becomes the value of the job-name label, hence the label (63 char) rule.
      const nameCauses = validateName(name, resource === "jobs" || resource === "namespaces" ? "label" : "subdomain");
      if (nameCauses.length > 0) throw invalid(info.kind, info.group, name, nameCauses);
      const key = keyOf(ns, name);
      if (table(resource).has(key)) throw alreadyExists(ref(resource), name);
      const { resourceVersion: _ignored, deletionTimestamp: _dt, ...meta } = obj.metadata;
      obj.metadata = {
        ...meta,
        name,
        ...(ns === undefined ? {} : { namespace: ns }),
        uid: randomUUID(),
        creationTimestamp: clock.now().toISOString().replace(/\.\d{3}Z$/, "Z"),
        generation: 1,
      };
      applyCreateDefaults(resource, obj);
      const specCauses = validateSpec(resource, obj);
      if (specCauses.length > 0) throw invalid(info.kind, info.group, name, specCauses);
      if (opts.dryRun) return clone(obj);
      const stored = commit(resource, key, obj, undefined);
      // An object created with an owner that no longer exists is collected, like the real GC does.
      for (const o of stored.metadata.ownerReferences ?? []) if (!byUid.has(o.uid)) scheduleGc(o.uid);
      return clone(stored);
    },

    get(resource, namespace, name) {
      const found = table(resource).get(keyOf(checkScope(resource, namespace), name));
      return found ? clone(found) : undefined;
    },

    list(resource, namespace, opts: ListOptions = {}) {
      const page = store.listPage(resource, namespace, {
        filter: compileFilter(resource, opts.labelSelector, opts.fieldSelector),
      });
      return { items: page.items.map(clone), resourceVersion: page.resourceVersion };
    },

    listPage(resource, namespace, opts = {}) {
      const t = table(resource);
      const keys = sorted(resource);
      const prefix = RESOURCES[resource].namespaced && namespace ? `${namespace}/` : "";
      let i = prefix ? lowerBound(keys, prefix) : 0;
      if (opts.after !== undefined) i = Math.max(i, firstIndexAfter(keys, opts.after));
      const items: KubeObject[] = [];
      const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
      let lastKey: string | undefined;
      for (; i < keys.length; i += 1) {
        const key = keys[i] ?? "";
        if (prefix && !key.startsWith(prefix)) break;
        const obj = t.get(key);
        if (!obj || (opts.filter && !opts.filter(obj))) continue;
        if (items.length >= limit) {
          return lastKey === undefined ? { items, resourceVersion: String(rv) } : { items, resourceVersion: String(rv), continueKey: lastKey };
        }
        items.push(obj);
        lastKey = key;
      }
      return { items, resourceVersion: String(rv) };
    },

    update(resource, namespace, input, opts = {}) {
      const ns = checkScope(resource, namespace);
      const info = RESOURCES[resource];
      const name = input.metadata?.name ?? "";
      const key = keyOf(ns, name);
      const existing = table(resource).get(key);
      if (!existing) throw notFound(ref(resource), name);
      const wanted = input.metadata.resourceVersion;
      if (wanted !== undefined && wanted !== "" && wanted !== existing.metadata.resourceVersion) {
        throw conflict(ref(resource), name);
      }
      let next: KubeObject;
      if (opts.subresource === "status") {
        next = clone(existing);
        next.status = clone(input.status);
      } else {
        next = clone(input);
        next.apiVersion = info.apiVersion;
        next.kind = info.kind;
        next.metadata = {
          ...next.metadata,
          name,
          ...(ns === undefined ? {} : { namespace: ns }),
          uid: existing.metadata.uid,
          creationTimestamp: existing.metadata.creationTimestamp,
          generation: existing.metadata.generation,
        };
        if (existing.metadata.deletionTimestamp) next.metadata.deletionTimestamp = existing.metadata.deletionTimestamp;
        else delete next.metadata.deletionTimestamp;
        if (info.hasStatus) {
          if (existing.status === undefined) delete next.status;
          else next.status = clone(existing.status);
        }
        applyUpdateDefaults(resource, next);
        if (resource === "jobs") checkJobImmutable(name, next, existing);
        if (!sameSpec(next, existing)) next.metadata.generation = (existing.metadata.generation ?? 1) + 1;
      }
      return finishWrite(resource, key, next, existing, opts.dryRun === true);
    },

    mutate(resource, namespace, name, fn) {
      const ns = checkScope(resource, namespace);
      const key = keyOf(ns, name);
      const existing = table(resource).get(key);
      if (!existing) return undefined;
      const next = clone(existing);
      fn(next);
      next.metadata.uid = existing.metadata.uid;
      next.metadata.name = existing.metadata.name;
      if (!sameSpec(next, existing) && next.metadata.generation === existing.metadata.generation) {
        next.metadata.generation = (existing.metadata.generation ?? 1) + 1;
      }
      return finishWrite(resource, key, next, existing);
    },

    delete(resource, namespace, name, opts = {}) {
      const ns = checkScope(resource, namespace);
      const key = keyOf(ns, name);
      const existing = table(resource).get(key);
      if (!existing) throw notFound(ref(resource), name);
      if (opts.dryRun) return clone(existing);
      return deleteAt(resource, key, existing, opts.propagationPolicy ?? "Background");
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    currentResourceVersion: () => rv,
    eventsSince: (since) => history.since(since),
    isCompacted: (since) => since < history.oldest(),
    count: (resource) => table(resource).size,

    wipe() {
      for (const t of objects.values()) t.clear();
      sortedKeys.clear();
      byUid.clear();
      dependents.clear();
      gcQueue.clear();
      history.compact(rv);
      for (const ns of initialNamespaces) store.create("namespaces", undefined, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    },
  };

  /** Commits unless nothing changed; completes a pending deletion once finalizers are gone. */
  function finishWrite(resource: ResourceName, key: string, next: KubeObject, existing: KubeObject, dryRun = false): KubeObject {
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
    if (sameIgnoringRv(next, existing)) return clone(existing);
    if (dryRun) return clone(next);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers?.length ?? 0) === 0) {
      remove(resource, key, next);
      return clone(next);
    }
    return clone(commit(resource, key, next, existing));
  }

  for (const ns of initialNamespaces) store.create("namespaces", undefined, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  return store;
}

/** A real cluster rejects changes to these Job fields (the template only stays mutable while suspended). */
function checkJobImmutable(name: string, next: KubeObject, existing: KubeObject): void {
  const spec = (o: KubeObject) => (o.spec ?? {}) as Record<string, unknown>;
  const fields = ["selector", "completions", "completionMode"];
  if (spec(existing).suspend !== true) fields.push("template");
  const causes = fields
    .filter((f) => !jsonEqual(spec(next)[f], spec(existing)[f]))
    .map((f) => ({ reason: "FieldValueInvalid", message: "field is immutable", field: `spec.${f}` }));
  if (causes.length > 0) throw invalid("Job", "batch", name, causes);
}

function lowerBound(keys: string[], value: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] ?? "") < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
