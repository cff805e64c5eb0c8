import type { Writable } from "node:stream";
import { Log, type CoreV1Event, type KubeConfig, type V1ConfigMap, type V1Job, type V1OwnerReference, type V1Pod, type V1Secret } from "@kubernetes/client-node";
import { K8sError, toK8sError } from "./errors.js";
import type { WatchCallbacks, WatchHandle, WatchOptions } from "./watch-types.js";
import { createRestClient, type RestCallSample } from "./rest.js";
import { openWatch } from "./watch.js";

/**
 * The ONLY module that imports `@kubernetes/client-node` at run time. Everything
 * else receives a `K8sApi`: small function-shaped ports that tests replace with
 * lambdas. Every call has a deadline; every failure is a `K8sError`.
 *
 * Request/response calls go through our JSON REST layer (rest.ts: keep-alive, no typed
 * deserialisation), watches too (watch.ts: a streaming GET on connections of their own);
 * log streams through client-node's Log. Either way the objects are PLAIN JSON typed as
 * client-node's `V1Job`/`V1Pod`/`V1ConfigMap`: times are RFC 3339 strings, never `Date`
 * (tracking/k8s-shapes.ts reads both).
 */

export interface ListResult<T> {
  items: T[];
  /** The collection's resourceVersion: start the watch from here so nothing is missed. */
  resourceVersion: string;
}

// The watch types live in watch-types.ts so that watch.ts needs nothing from this module (no import circle).
export type { WatchCallbacks, WatchEventType, WatchHandle, WatchOptions } from "./watch-types.js";

export interface LogStreamHandle {
  abort(): void;
  /** Settles when the log stream ends, fails or is aborted; never rejects. */
  done: Promise<void>;
}

export interface K8sApi {
  readonly namespace: string;
  createJob(job: V1Job): Promise<V1Job>;
  readJob(name: string): Promise<V1Job>;
  /** ALWAYS with propagationPolicy Background: a Job deleted without it orphans its pods. */
  deleteJob(name: string): Promise<void>;
  createConfigMap(configMap: V1ConfigMap): Promise<V1ConfigMap>;
  patchConfigMapOwner(name: string, owner: V1OwnerReference): Promise<V1ConfigMap>;
  /** A registry-credentials Secret a mirror schedule names (RBAC: get secrets in the build namespace). */
  readSecret(name: string): Promise<V1Secret>;
  listJobs(labelSelector: string): Promise<ListResult<V1Job>>;
  listPods(labelSelector: string): Promise<ListResult<V1Pod>>;
  /**
   * Warning events about one pod (FailedMount, FailedScheduling, Failed pull…), oldest first,
   * at most 50: why a pod that never started did not (the pod status does not say for mounts).
   */
  listPodWarnings(podName: string): Promise<CoreV1Event[]>;
  watchJobs(opts: WatchOptions, callbacks: WatchCallbacks<V1Job>): Promise<WatchHandle>;
  watchPods(opts: WatchOptions, callbacks: WatchCallbacks<V1Pod>): Promise<WatchHandle>;
  streamPodLog(
    podName: string,
    container: string,
    /** `timestamps`: each line starts with the kubelet's RFC 3339 time and a space. */
    opts: { follow: boolean; sinceTime?: string; timestamps?: boolean },
    out: Writable,
  ): Promise<LogStreamHandle>;
  /**
   * Closes the keep-alive connections of the request/response calls (watches and log
   * streams are ended by their handles). Later calls and watches fail with UNAVAILABLE.
   * Idempotent.
   */
  close?(): void;
}

export interface K8sApiOptions {
  /** The build namespace: every port works in it. */
  namespace: string;
  /** Deadline of every non-streaming call, and of opening a watch or log stream. */
  requestTimeoutMs: number;
  /** Page size of list calls (bounded memory per response at thousands of Jobs). */
  listPageSize?: number;
  /**
   * Bound on keep-alive connections for request/response calls (default 64); more
   * concurrent calls queue for one, within their deadline. Watches and logs have their own.
   */
  maxSockets?: number;
  /** Told how each request/response call and watch start went (metrics). */
  observe?: (call: RestCallSample) => void;
}

/**
 * Bounds a promise that cannot be cancelled (client-node returns the log stream's
 * AbortController only once response headers arrived). If it settles after the
 * deadline, `late` releases what it produced.
 */
function withDeadline<T>(operation: string, ms: number, promise: Promise<T>, late: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      reject(new K8sError("UNAVAILABLE", `${operation}: no answer before the deadline`, { operation }));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        if (expired) late(value);
        else resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (!expired) reject(toK8sError(err, operation));
      },
    );
  });
}

interface ListBody<T> {
  items?: T[] | null;
  metadata?: { resourceVersion?: string; continue?: string };
}

const DELETE_IN_BACKGROUND = { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" } as const;

export function createK8sApi(kubeConfig: KubeConfig, options: K8sApiOptions): K8sApi {
  const { namespace, requestTimeoutMs } = options;
  const pageSize = options.listPageSize ?? 500;
  const rest = createRestClient(kubeConfig, {
    requestTimeoutMs,
    maxSockets: options.maxSockets ?? 64,
    ...(options.observe ? { observe: options.observe } : {}),
  });
  const logs = new Log(kubeConfig);
  const ns = encodeURIComponent(namespace);
  const jobs = `/apis/batch/v1/namespaces/${ns}/jobs`;
  const configMaps = `/api/v1/namespaces/${ns}/configmaps`;
  const pods = `/api/v1/namespaces/${ns}/pods`;
  const events = `/api/v1/namespaces/${ns}/events`;
  const secrets = `/api/v1/namespaces/${ns}/secrets`;
  const named = (collection: string, name: string): string => `${collection}/${encodeURIComponent(name)}`;

  async function listAll<T>(operation: string, path: string, labelSelector: string): Promise<ListResult<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = "";
    // Bounded: a server that keeps returning continue tokens cannot loop us forever.
    for (let pages = 0; pages < 10_000; pages++) {
      const res = await rest.request<ListBody<T>>(operation, { method: "GET", path, query: { labelSelector, limit: pageSize, continue: cont } });
      items.push(...(res.items ?? []));
      resourceVersion = res.metadata?.resourceVersion ?? resourceVersion;
      cont = res.metadata?.continue;
      if (cont === undefined || cont === "") return { items, resourceVersion };
    }
    throw new K8sError("UNAVAILABLE", `${operation}: too many pages`, { operation });
  }

  const watchPath = <T>(path: string, kind: string, opts: WatchOptions, cb: WatchCallbacks<T>): Promise<WatchHandle> =>
    openWatch(rest, { operation: `watch ${kind}`, path, options: opts }, cb);

  return {
    namespace,
    createJob: (job) => rest.request<V1Job>(`create Job ${job.metadata?.name ?? "?"}`, { method: "POST", path: jobs, body: job }),
    readJob: (name) => rest.request<V1Job>(`read Job ${name}`, { method: "GET", path: named(jobs, name) }),
    deleteJob: async (name) => {
      // Background in the body AND the query: a Job deleted without it orphans its pods.
      await rest.request(`delete Job ${name}`, {
        method: "DELETE",
        path: named(jobs, name),
        query: { propagationPolicy: "Background" },
        body: DELETE_IN_BACKGROUND,
      });
    },
    createConfigMap: (configMap) =>
      rest.request<V1ConfigMap>(`create ConfigMap ${configMap.metadata?.name ?? "?"}`, { method: "POST", path: configMaps, body: configMap }),
    patchConfigMapOwner: (name, owner) =>
      rest.request<V1ConfigMap>(`patch ConfigMap ${name}`, {
        method: "PATCH",
        path: named(configMaps, name),
        body: { metadata: { ownerReferences: [owner] } },
        contentType: "application/merge-patch+json",
      }),
    readSecret: (name) => rest.request<V1Secret>(`read Secret ${name}`, { method: "GET", path: named(secrets, name) }),
    listJobs: (labelSelector) => listAll<V1Job>("list Jobs", jobs, labelSelector),
    listPods: (labelSelector) => listAll<V1Pod>("list Pods", pods, labelSelector),
    listPodWarnings: async (podName) => {
      const res = await rest.request<ListBody<CoreV1Event>>(`list Events of pod ${podName}`, {
        method: "GET",
        path: events,
        query: { fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${podName},type=Warning`, limit: 50 },
      });
      return res.items ?? [];
    },
    watchJobs: (opts, cb) => watchPath(jobs, "Jobs", opts, cb),
    watchPods: (opts, cb) => watchPath(pods, "Pods", opts, cb),
    streamPodLog: async (podName, container, opts, out) => {
      const operation = `stream log of pod ${podName}`;
      let settle: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        settle = resolve;
        out.once("finish", () => resolve());
        out.once("close", () => resolve());
        out.once("error", () => resolve());
        // client-node pipes the response into `out`; a dropped upstream may only show as an unpipe.
        out.once("unpipe", () => resolve());
      });
      const logOpts = {
        follow: opts.follow,
        ...(opts.sinceTime === undefined ? {} : { sinceTime: opts.sinceTime }),
        ...(opts.timestamps === true ? { timestamps: true } : {}),
      };
      const startedAt = performance.now();
      const observe = (status: number | undefined): void => {
        try {
          options.observe?.({ method: "GET", path: `${named(pods, podName)}/log`, stream: true, status, seconds: (performance.now() - startedAt) / 1000 });
        } catch {
          // Metrics must never fail a log stream.
        }
      };
      let controller: AbortController;
      try {
        controller = await withDeadline(operation, requestTimeoutMs, logs.log(namespace, podName, container, out, logOpts), (c) => c.abort());
      } catch (err) {
        observe(err instanceof K8sError ? err.status : undefined);
        throw err;
      }
      // client-node hands the controller over once a 200's headers arrived.
      observe(200);
      controller.signal.addEventListener("abort", () => settle(), { once: true });
      return { abort: () => controller.abort(), done };
    },
    close: () => rest.close(),
  };
}
