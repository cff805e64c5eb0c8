import type { Logger } from "pino";
import type { K8sApi } from "../k8s/client.js";
import { MANAGED_SELECTOR, buildIdOf } from "../kaniko/labels.js";
import type { BuildObservation } from "./derive-status.js";
import { deriveBuildStatus, observationAfterJobDeleted } from "./derive-status.js";
import { slimJob, slimPod, type JobLike, type PodLike } from "./k8s-shapes.js";
import { Reflector, type RelistReason, type WatchRestartReason } from "./reflector.js";

/**
 * ONE shared list+watch of buildfleet's Jobs and one of their Pods per process,
 * feeding every in-flight build: the API server sees two watches, never a request
 * per build (no per-build polling). Builds subscribe with `watchBuild` and get the
 * derived observation whenever their Job or Pods change.
 *
 * Idempotent delivery: a subscriber is called only when the observation differs
 * from the last one it got (compared by their JSON), so relists, resyncs and
 * duplicate watch events cause no duplicate callbacks.
 */
export type BuildListener = (obs: BuildObservation) => void;

export type WatchedKind = "jobs" | "pods";

/** Told about every relist and watch restart of the shared watches (metrics). */
export interface TrackerObserver {
  relist(kind: WatchedKind, reason: RelistReason): void;
  watchRestart(kind: WatchedKind, reason: WatchRestartReason): void;
}

export interface JobTrackerOptions {
  api: Pick<K8sApi, "listJobs" | "listPods" | "watchJobs" | "watchPods">;
  logger: Logger;
  labelSelector?: string;
  /** No event and no bookmark for this long → the watch is restarted. */
  inactivityTimeoutMs?: number;
  /** Full relist period: the level-triggered safety net. */
  resyncIntervalMs?: number;
  /** Server-side watch length (kept below the inactivity timeout). */
  watchTimeoutSeconds?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** How long a finished Job may wait for its pods' final status before we decide without it. */
  podStatusGraceMs?: number;
  random?: () => number;
  observer?: TrackerObserver;
}

interface Subscriber {
  fn: BuildListener;
  /**
   * The observation last delivered — usually the very object the entry keeps as `last`. Not its
   * JSON: a string per followed build, alive for the build's whole run, costs ~0.5 KiB each.
   */
  last: BuildObservation | undefined;
}

interface BuildEntry {
  job: JobLike | undefined;
  /** Terminal pods stay after their DELETED event (see onPod); `deleted` marks them. */
  pods: Map<string, { pod: PodLike; deleted: boolean }>;
  /** Set once the Job was seen and then disappeared. */
  jobGone: boolean;
  last: BuildObservation | undefined;
  podsFinal: boolean;
  graceTimer: NodeJS.Timeout | undefined;
  subscribers: Set<Subscriber>;
}


export class JobTracker {
  private readonly builds = new Map<string, BuildEntry>();
  private readonly jobs: Reflector<JobLike>;
  private readonly pods: Reflector<PodLike>;
  private readonly logger: Logger;
  private readonly podStatusGraceMs: number;
  private started = false;
  private stopped = false;
  private syncWaiters = new Set<() => void>();

  constructor(opts: JobTrackerOptions) {
    this.logger = opts.logger;
    this.podStatusGraceMs = opts.podStatusGraceMs ?? 10_000;
    const common = {
      labelSelector: opts.labelSelector ?? MANAGED_SELECTOR,
      logger: opts.logger,
      inactivityTimeoutMs: opts.inactivityTimeoutMs ?? 90_000,
      resyncIntervalMs: opts.resyncIntervalMs ?? 5 * 60_000,
      watchTimeoutSeconds: opts.watchTimeoutSeconds ?? 60,
      backoffInitialMs: opts.backoffInitialMs ?? 500,
      backoffMaxMs: opts.backoffMaxMs ?? 30_000,
      random: opts.random ?? Math.random,
    };
    const hooks = (kind: WatchedKind): { onRelist?: (r: RelistReason) => void; onWatchRestart?: (r: WatchRestartReason) => void } => {
      const observer = opts.observer;
      if (observer === undefined) return {};
      return { onRelist: (r) => observer.relist(kind, r), onWatchRestart: (r) => observer.watchRestart(kind, r) };
    };
    // Only the projection (slimJob/slimPod) is cached and handed on: the pod template is never read.
    this.jobs = new Reflector<JobLike>({
      ...common,
      ...hooks("jobs"),
      kind: "Jobs",
      list: async (sel) => {
        const res = await opts.api.listJobs(sel);
        return { resourceVersion: res.resourceVersion, items: res.items.map(slimJob) };
      },
      watch: (o, cb) => opts.api.watchJobs(o, { ...cb, onEvent: (type, job) => cb.onEvent(type, slimJob(job)) }),
      onUpsert: (job) => this.onJob(job, false),
      onDelete: (job) => this.onJob(job, true),
      onSynced: () => this.wakeSyncWaiters(),
    });
    this.pods = new Reflector<PodLike>({
      ...common,
      ...hooks("pods"),
      kind: "Pods",
      list: async (sel) => {
        const res = await opts.api.listPods(sel);
        return { resourceVersion: res.resourceVersion, items: res.items.map(slimPod) };
      },
      watch: (o, cb) => opts.api.watchPods(o, { ...cb, onEvent: (type, pod) => cb.onEvent(type, slimPod(pod)) }),
      onUpsert: (pod) => this.onPod(pod, false),
      onDelete: (pod) => this.onPod(pod, true),
      onSynced: () => this.wakeSyncWaiters(),
    });
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.jobs.start();
    this.pods.start();
  }

  /** Idempotent. Leaves no timer or socket behind; subscribers get nothing more. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.jobs.stop();
    this.pods.stop();
    for (const entry of this.builds.values()) clearTimeout(entry.graceTimer);
    this.builds.clear();
    for (const wake of this.syncWaiters) wake();
    this.syncWaiters.clear();
  }

  /** For readiness: both list+watches synced and not failing beyond the inactivity bound. */
  isLive(): boolean {
    return this.started && !this.stopped && this.jobs.isLive() && this.pods.isLive();
  }

  /** Per kind: listed and not failing beyond the inactivity bound (the watch_up metric). */
  watchStatus(): Record<WatchedKind, boolean> {
    const up = (r: Reflector<JobLike> | Reflector<PodLike>): boolean => this.started && !this.stopped && r.isLive();
    return { jobs: up(this.jobs), pods: up(this.pods) };
  }

  /** Resolves true once both kinds were listed, false on timeout or stop. Bounded by `timeoutMs`. */
  waitForSync(timeoutMs: number): Promise<boolean> {
    if (this.jobs.hasSynced() && this.pods.hasSynced()) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.syncWaiters.delete(done);
        resolve(this.jobs.hasSynced() && this.pods.hasSynced());
      };
      const timer = setTimeout(done, timeoutMs);
      this.syncWaiters.add(done);
    });
  }

  /** The current observation of a build whose Job is (or was) known to this tracker. */
  get(buildId: string): BuildObservation | undefined {
    const entry = this.builds.get(buildId);
    return entry === undefined ? undefined : this.observe(entry);
  }

  /**
   * Calls `onChange` whenever this build's observation changes, and once right
   * away if the build's Job is already known. Returns the unsubscribe function.
   */
  watchBuild(buildId: string, onChange: BuildListener): () => void {
    if (this.stopped) return () => undefined;
    const entry = this.entry(buildId);
    const sub: Subscriber = { fn: onChange, last: undefined };
    entry.subscribers.add(sub);
    const obs = this.observe(entry);
    if (obs !== undefined) this.deliver(buildId, sub, obs);
    return () => {
      entry.subscribers.delete(sub);
      this.maybeForget(buildId, entry);
    };
  }

  private entry(buildId: string): BuildEntry {
    let entry = this.builds.get(buildId);
    if (entry === undefined) {
      entry = { job: undefined, pods: new Map(), jobGone: false, last: undefined, podsFinal: false, graceTimer: undefined, subscribers: new Set() };
      this.builds.set(buildId, entry);
    }
    return entry;
  }

  /** Drop what nobody needs: no subscriber and no live Job (memory stays ∝ builds in the cluster). */
  private maybeForget(buildId: string, entry: BuildEntry): void {
    const livePods = [...entry.pods.values()].some((p) => !p.deleted);
    if (entry.subscribers.size === 0 && entry.job === undefined && !livePods) {
      clearTimeout(entry.graceTimer);
      this.builds.delete(buildId);
    }
  }

  private onJob(job: JobLike, deleted: boolean): void {
    const buildId = buildIdOf(job);
    if (buildId === undefined) return;
    const entry = this.entry(buildId);
    if (deleted) {
      // Only the Job we track: a stale DELETED for an older Job of the same name is ignored.
      if (entry.job !== undefined && entry.job.metadata?.uid !== job.metadata?.uid) return;
      if (entry.job !== undefined) entry.last = this.observe(entry);
      entry.job = undefined;
      entry.jobGone = true;
    } else {
      entry.job = job;
      entry.jobGone = false;
    }
    this.changed(buildId, entry);
  }

  private onPod(pod: PodLike, deleted: boolean): void {
    const buildId = buildIdOf(pod);
    const name = pod.metadata?.name;
    if (buildId === undefined || name === undefined) return;
    const entry = this.entry(buildId);
    const phase = pod.status?.phase;
    if (deleted && phase !== "Succeeded" && phase !== "Failed") entry.pods.delete(name);
    // A finished pod is evidence (digest, exit code) even once deleted: TTL/GC removes pods and
    // Job in either order on our two watches, and the result must not depend on that order.
    else entry.pods.set(name, { pod, deleted });
    this.changed(buildId, entry);
  }

  private wakeSyncWaiters(): void {
    if (this.syncWaiters.size === 0 || !(this.jobs.hasSynced() && this.pods.hasSynced())) return;
    for (const wake of [...this.syncWaiters]) wake();
  }

  private observe(entry: BuildEntry): BuildObservation | undefined {
    if (entry.job === undefined) return entry.jobGone ? observationAfterJobDeleted(entry.last) : undefined;
    const pods = [...entry.pods.values()].map((p) => p.pod).filter((p) => {
      // Pods of an older Job with the same name (deleted and re-created) are not this Job's attempts.
      const uid = p.metadata?.ownerReferences?.[0]?.uid;
      return uid === undefined || entry.job?.metadata?.uid === undefined || uid === entry.job.metadata.uid;
    });
    return deriveBuildStatus(entry.job, pods, { podsFinal: entry.podsFinal });
  }

  private changed(buildId: string, entry: BuildEntry): void {
    const derived = this.observe(entry);
    if (derived !== undefined) {
      // An unchanged observation keeps the object subscribers already hold: one per build,
      // not the entry's and each subscriber's copy of the same thing.
      const obs = entry.last !== undefined && sameObservation(entry.last, derived) ? entry.last : derived;
      entry.last = obs;
      this.armGrace(buildId, entry, obs);
      for (const sub of [...entry.subscribers]) this.deliver(buildId, sub, obs);
    }
    this.maybeForget(buildId, entry);
  }

  /** A finished Job whose pods never show it (deleted, or the event was lost): decide after a grace period. */
  private armGrace(buildId: string, entry: BuildEntry, obs: BuildObservation): void {
    if (obs.awaitingPodStatus !== true) {
      clearTimeout(entry.graceTimer);
      entry.graceTimer = undefined;
      return;
    }
    if (entry.graceTimer !== undefined || entry.podsFinal) return;
    entry.graceTimer = setTimeout(() => {
      entry.graceTimer = undefined;
      if (this.stopped || this.builds.get(buildId) !== entry) return;
      this.logger.warn({ buildId, jobName: obs.jobName }, "Job finished but its pods never showed it; deciding without them");
      entry.podsFinal = true;
      this.changed(buildId, entry);
    }, this.podStatusGraceMs);
  }

  private deliver(buildId: string, sub: Subscriber, obs: BuildObservation): void {
    if (sub.last !== undefined && sameObservation(sub.last, obs)) return;
    sub.last = obs;
    try {
      sub.fn(obs);
    } catch (err) {
      this.logger.error({ buildId, jobName: obs.jobName, err }, "build listener threw");
    }
  }
}

function sameObservation(a: BuildObservation, b: BuildObservation): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
