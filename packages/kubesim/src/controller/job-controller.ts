// The Job controller: level-triggered reconciliation of every Job against its
// pods, as Kubernetes 1.31+ does it (interim SuccessCriteriaMet/FailureTarget
// conditions, terminal condition once no pod is left running). Decisions come
// from job-status.ts; this module does the store IO and timers.
import type { KubeObject, Store, StoreEvent } from "../store/types.js";
import { asPodView, jobEvent, podForJob, podOwnerJob } from "./job-objects.js";
import type { FinishTarget, JobSpec, JobStatus } from "./job-status.js";
import {
  BACKOFF_LIMIT_EXCEEDED,
  COMPLETIONS_REACHED,
  DEADLINE_EXCEEDED,
  DEFAULT_BACKOFF_LIMIT,
  backoffDelayMs,
  evaluatePodFailurePolicy,
  findCondition,
  interimConditionType,
  isPodReady,
  isPodTerminal,
  jobFinished,
  kubeTime,
  pastBackoffLimitOnFailure,
  recordedTarget,
  setCondition,
  terminalConditionType,
} from "./job-status.js";

export interface JobControllerOptions {
  legacyJobConditions?: boolean;
}

export interface JobController {
  start(): void;
  stop(): void;
}

interface JobMemory {
  /** Pods whose outcome is already in status.succeeded/failed (or deliberately not counted). */
  counted: Set<string>;
  /** Pods deleted by us on suspension: their deletion is not a failure. */
  deletedForSuspend: Set<string>;
  /** Pods that vanished since the last sync, with their last known state. */
  deletedPods: KubeObject[];
  /** Counted failures since the last success and when the last one happened (pod re-creation backoff). */
  lastFailureAt?: number;
  /** Finish decided but not yet recorded as a condition (legacy mode has no interim condition). */
  target?: FinishTarget;
  timers: Map<string, { due: number; cancel: () => void }>;
}

export function createJobController(store: Store, options: JobControllerOptions = {}): JobController {
  const legacy = options.legacyJobConditions === true;
  const memory = new Map<string, JobMemory>();
  /** Informer-style caches kept from store events (read-only objects; no get/list per sync). */
  const jobs = new Map<string, KubeObject>();
  const podsByJob = new Map<string, Map<string, KubeObject>>();
  const queue = new Set<string>();
  let flushScheduled = false;
  let unsubscribe: (() => void) | undefined;

  function mem(uid: string): JobMemory {
    let m = memory.get(uid);
    if (m === undefined) {
      m = { counted: new Set(), deletedForSuspend: new Set(), deletedPods: [], timers: new Map() };
      memory.set(uid, m);
    }
    return m;
  }

  function forget(uid: string): void {
    const m = memory.get(uid);
    if (m === undefined) return;
    for (const t of m.timers.values()) t.cancel();
    memory.delete(uid);
  }

  /** One timer per purpose per Job; re-arming with the same due time is a no-op. */
  function arm(m: JobMemory, purpose: string, due: number, key: string): void {
    const existing = m.timers.get(purpose);
    if (existing?.due === due) return;
    existing?.cancel();
    const cancel = store.clock.after(Math.max(0, due - store.clock.now().getTime()), () => {
      m.timers.delete(purpose);
      enqueue(key);
    });
    m.timers.set(purpose, { due, cancel });
  }

  function enqueue(key: string): void {
    if (unsubscribe === undefined) return;
    queue.add(key);
    if (flushScheduled) return;
    flushScheduled = true;
    // Store listeners run inside the store's commit; reconcile after it returns.
    queueMicrotask(flush);
  }

  function flush(): void {
    flushScheduled = false;
    // Bounded: a sync that re-enqueues its own Job runs again in the next microtask.
    const keys = [...queue];
    queue.clear();
    for (const key of keys) {
      if (unsubscribe === undefined) return;
      const [ns = "", name = ""] = key.split("/");
      try {
        syncJob(ns, name);
      } catch {
        // A racing client write (Conflict, NotFound): retry shortly, level-triggered.
        const cancel = store.clock.after(1000, () => {
          cancelRetry.delete(cancel);
          enqueue(key);
        });
        cancelRetry.add(cancel);
      }
    }
  }
  const cancelRetry = new Set<() => void>();

  function onEvent(event: StoreEvent): void {
    const obj = event.object;
    if (event.resource === "jobs") {
      const key = `${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}`;
      if (event.type === "DELETED") {
        if (jobs.get(key)?.metadata.uid === obj.metadata.uid) jobs.delete(key);
        forget(obj.metadata.uid ?? "");
        podsByJob.delete(obj.metadata.uid ?? "");
      } else {
        jobs.set(key, obj);
        enqueue(key);
      }
      return;
    }
    if (event.resource !== "pods") return;
    const owner = podOwnerJob(obj);
    if (owner === undefined) return;
    const jobKey = `${obj.metadata.namespace ?? ""}/${owner.name}`;
    const job = jobs.get(jobKey);
    // A finished Job never looks at its pods again: keep no copies of them.
    if (job?.metadata.uid === owner.uid && jobFinished(job["status"] as JobStatus | undefined) !== undefined) return;
    if (event.type === "DELETED") {
      podsByJob.get(owner.uid)?.delete(obj.metadata.uid ?? "");
      memory.get(owner.uid)?.deletedPods.push(obj);
    } else {
      indexPod(owner.uid, obj);
    }
    enqueue(jobKey);
  }

  function indexPod(jobUid: string, pod: KubeObject): void {
    let pods = podsByJob.get(jobUid);
    if (pods === undefined) podsByJob.set(jobUid, (pods = new Map<string, KubeObject>()));
    pods.set(pod.metadata.uid ?? "", pod);
  }

  let lastNanos = 0n;
  function eventSuffix(): string {
    let nanos = BigInt(store.clock.now().getTime()) * 1_000_000n;
    if (nanos <= lastNanos) nanos = lastNanos + 1n;
    lastNanos = nanos;
    return nanos.toString(16);
  }

  function recordEvent(job: KubeObject, type: "Normal" | "Warning", reason: string, message: string): void {
    store.create("events", job.metadata.namespace, jobEvent(job, type, reason, message, store.clock.now(), eventSuffix()));
  }

  function createPod(job: KubeObject, spec: JobSpec): void {
    const created = store.create("pods", job.metadata.namespace, podForJob(job, spec));
    recordEvent(job, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata.name ?? ""}`);
  }

  function deletePod(job: KubeObject, pod: KubeObject): void {
    const podName = pod.metadata.name ?? "";
    try {
      store.delete("pods", pod.metadata.namespace, podName, { propagationPolicy: "Background" });
    } catch {
      return; // already gone
    }
    recordEvent(job, "Normal", "SuccessfulDelete", `Deleted pod: ${podName}`);
  }

  function writeStatus(job: KubeObject, status: JobStatus): void {
    // Most syncs change nothing; skip the store's copy-and-compare for them.
    if (JSON.stringify(status) === JSON.stringify(job["status"] ?? {})) return;
    store.mutate("jobs", job.metadata.namespace, job.metadata.name ?? "", (obj) => {
      if (obj.metadata.uid !== job.metadata.uid) return;
      obj["status"] = status;
    });
  }

  function syncJob(ns: string, name: string): void {
    const job = jobs.get(`${ns}/${name}`);
    if (job === undefined || job.metadata.deletionTimestamp !== undefined) return;
    const uid = job.metadata.uid ?? "";
    const key = `${ns}/${name}`;
    const spec = (job["spec"] ?? {}) as JobSpec;
    const prev = (job["status"] ?? {}) as JobStatus;
    const m = mem(uid);
    const now = store.clock.now();

    const finished = jobFinished(prev);
    if (finished !== undefined) {
      // Only the TTL timer is still needed for a finished Job.
      m.deletedPods = [];
      m.counted.clear();
      m.deletedForSuspend.clear();
      podsByJob.delete(uid);
      armTtl(job, spec, prev, m, key);
      return;
    }

    const pods = [...(podsByJob.get(uid)?.values() ?? [])];

    // Account pods that reached a terminal phase or vanished, exactly once each.
    let succeeded = prev.succeeded ?? 0;
    let failed = prev.failed ?? 0;
    let target = recordedTarget(prev) ?? m.target;
    const deleted = m.deletedPods;
    m.deletedPods = [];
    for (const pod of [...pods, ...deleted]) {
      const podUid = pod.metadata.uid ?? "";
      if (m.counted.has(podUid)) continue;
      const view = asPodView(pod);
      const vanished = deleted.includes(pod);
      if (!isPodTerminal(view) && !vanished) continue;
      m.counted.add(podUid);
      if (view.status?.phase === "Succeeded") {
        succeeded += 1;
        m.lastFailureAt = undefined;
        continue;
      }
      if (m.deletedForSuspend.delete(podUid)) continue;
      const decision =
        view.status?.phase === "Failed"
          ? evaluatePodFailurePolicy(spec.podFailurePolicy?.rules, view)
          : ({ action: "Count" } as const);
      if (decision.action === "Ignore") continue;
      failed += 1;
      m.lastFailureAt = now.getTime();
      if (decision.action === "FailJob" && target === undefined) {
        target = { outcome: "failure", reason: "PodFailurePolicy", message: decision.message ?? "" };
      }
    }

    const live = pods.filter((p) => !isPodTerminal(asPodView(p)));
    const active = live.filter((p) => p.metadata.deletionTimestamp === undefined);
    const terminating = live.length - active.length;
    let conditions = prev.conditions;
    const status: JobStatus = { ...prev };

    const completions = spec.completions ?? 1;
    const backoffLimit = spec.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
    const suspended = spec.suspend === true;

    if (target === undefined) {
      if (succeeded >= completions) target = COMPLETIONS_REACHED;
      else if (failed > backoffLimit || pastBackoffLimitOnFailure(spec, active.map(asPodView))) target = BACKOFF_LIMIT_EXCEEDED;
      else if (!suspended && spec.activeDeadlineSeconds !== undefined && prev.startTime !== undefined) {
        const due = Date.parse(prev.startTime) + spec.activeDeadlineSeconds * 1000;
        if (now.getTime() >= due) target = DEADLINE_EXCEEDED;
        else arm(m, "deadline", due, key);
      }
    }

    if (target !== undefined) {
      m.timers.get("backoff")?.cancel();
      m.timers.delete("backoff");
      m.timers.get("deadline")?.cancel();
      m.timers.delete("deadline");
      const interim = interimConditionType(target);
      // The interim condition gets its own status write, so watchers see a Job that
      // met its criteria but is not finished yet, as on a real 1.31+ cluster.
      const interimIsNew = !legacy && findCondition(prev, interim) === undefined;
      if (interimIsNew) {
        conditions = setCondition(conditions, interim, "True", target.reason, target.message, now);
      }
      m.target = target;
      if (active.length > 0) {
        // Pods still running when the Job is decided are terminated; on failure they count as failed.
        for (const pod of active) {
          if (target.outcome === "success") m.counted.add(pod.metadata.uid ?? "");
          deletePod(job, pod);
        }
      } else if (terminating === 0 && !interimIsNew) {
        conditions = setCondition(conditions, terminalConditionType(target), "True", target.reason, target.message, now);
        if (target.outcome === "success") status.completionTime = kubeTime(now);
        if (target.outcome === "success") recordEvent(job, "Normal", "Completed", "Job completed");
        else recordEvent(job, "Warning", target.reason, target.message);
      }
      writeStatus(job, {
        ...status,
        conditions,
        active: 0,
        ready: 0,
        succeeded,
        failed,
        terminating: active.length + terminating,
      });
      enqueue(key);
      return;
    }

    if (suspended) {
      for (const pod of active) {
        m.deletedForSuspend.add(pod.metadata.uid ?? "");
        deletePod(job, pod);
      }
      if (findCondition(prev, "Suspended")?.status !== "True") {
        conditions = setCondition(conditions, "Suspended", "True", "JobSuspended", "Job suspended", now);
        recordEvent(job, "Normal", "Suspended", "Job suspended");
      }
      writeStatus(job, { ...status, conditions, active: 0, ready: 0, succeeded, failed, terminating: active.length + terminating });
      return;
    }

    if (findCondition(prev, "Suspended")?.status === "True") {
      // Resuming restarts the activeDeadlineSeconds clock, as documented upstream.
      conditions = setCondition(conditions, "Suspended", "False", "JobResumed", "Job resumed", now);
      status.startTime = kubeTime(now);
      recordEvent(job, "Normal", "Resumed", "Job resumed");
    }
    status.startTime ??= kubeTime(now);
    if (spec.activeDeadlineSeconds !== undefined) {
      arm(m, "deadline", Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000, key);
    }

    let activeCount = active.length;
    const wanted = Math.min(spec.parallelism ?? 1, completions - succeeded) - activeCount - terminating;
    if (wanted > 0) {
      const due = m.lastFailureAt === undefined ? 0 : m.lastFailureAt + backoffDelayMs(failed);
      if (due > now.getTime()) {
        arm(m, "backoff", due, key);
      } else {
        for (let i = 0; i < wanted; i++) createPod(job, spec);
        activeCount += wanted;
      }
    }
    writeStatus(job, {
      ...status,
      conditions,
      active: activeCount,
      ready: active.filter((p) => isPodReady(asPodView(p))).length,
      succeeded,
      failed,
      terminating,
    });
  }

  function armTtl(job: KubeObject, spec: JobSpec, status: JobStatus, m: JobMemory, key: string): void {
    if (spec.ttlSecondsAfterFinished === undefined) return;
    const finishedAt =
      status.completionTime ?? findCondition(status, "Failed")?.lastTransitionTime ?? kubeTime(store.clock.now());
    const due = Date.parse(finishedAt) + spec.ttlSecondsAfterFinished * 1000;
    if (store.clock.now().getTime() < due) {
      arm(m, "ttl", due, key);
      return;
    }
    try {
      // Background like kubectl's default: the garbage collector removes the pods.
      store.delete("jobs", job.metadata.namespace, job.metadata.name ?? "", { propagationPolicy: "Background" });
    } catch {
      // Already deleted by someone else.
    }
  }

  return {
    start() {
      if (unsubscribe !== undefined) return;
      unsubscribe = store.subscribe(onEvent);
      for (const pod of store.list("pods", undefined).items) {
        const owner = podOwnerJob(pod);
        if (owner !== undefined) indexPod(owner.uid, pod);
      }
      // Level-triggered resync: adopt state left by a previous run (restart that kept state).
      const existing = store.list("jobs", undefined).items;
      for (const job of existing) jobs.set(`${job.metadata.namespace ?? ""}/${job.metadata.name ?? ""}`, job);
      for (const job of existing) {
        const status = (job["status"] ?? {}) as JobStatus;
        const m = mem(job.metadata.uid ?? "");
        // Terminal pods that exist now were accounted before the restart.
        const counted = (status.succeeded ?? 0) + (status.failed ?? 0);
        if (counted > 0) {
          for (const p of podsByJob.get(job.metadata.uid ?? "")?.values() ?? []) {
            if (isPodTerminal(asPodView(p))) m.counted.add(p.metadata.uid ?? "");
          }
        }
        enqueue(`${job.metadata.namespace ?? ""}/${job.metadata.name ?? ""}`);
      }
    },
    stop() {
      unsubscribe?.();
      unsubscribe = undefined;
      queue.clear();
      podsByJob.clear();
      jobs.clear();
      for (const uid of [...memory.keys()]) forget(uid);
      for (const cancel of cancelRetry) cancel();
      cancelRetry.clear();
    },
  };
}
