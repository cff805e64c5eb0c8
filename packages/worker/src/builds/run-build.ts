import type { V1Job } from "@kubernetes/client-node";
import { buildAttributes, withSpan, createOptionsForQueuedBuild, recordForQueuedBuild, type BuildStore, type Logger, type StoredBuild, type Transition } from "@buildfleet/shared";
import { isTerminalState, type BuildRecord, type FailureReason, type QueuedBuild } from "@buildfleet/contract";
import type { K8sApi } from "../k8s/client.js";
import { isK8sError } from "../k8s/errors.js";
import type { RenderedBuild } from "../kaniko/render-job.js";
import { ownerReferenceForJob } from "../kaniko/render-job.js";
import { buildIdOf } from "../kaniko/labels.js";
import { isTerminalPhase, type BuildObservation } from "../tracking/derive-status.js";
import { latestWarning } from "../tracking/pod-warnings.js";
import { cancelledTransition, failedTransition, planTransitions, startedTransition } from "./plan.js";
import type { StartGate } from "./start-gate.js";
import type { StopSignal } from "./build-signal.js";

/**
 * One build, from its queue entry to a terminal record. Re-entrant: after a
 * crash, a redelivery or a hand-back on shutdown, running it again adopts the
 * existing Job (its name is deterministic) and records only what was not yet
 * recorded. Build failures end here as a `failed` record; only infrastructure
 * errors escape (BullMQ retries those with backoff).
 */

/** The slice of the shared Job/Pod watch one build needs. */
export interface BuildTracker {
  /**
   * Calls `onChange` whenever the build's Job or Pods change (and once at once
   * if known). A Job deleted before it finished arrives as failed / JobDeleted.
   */
  watchBuild(buildId: string, onChange: (obs: BuildObservation) => void): () => void;
}

export type BuildK8s = Pick<K8sApi, "createJob" | "readJob" | "deleteJob" | "createConfigMap" | "patchConfigMapOwner"> &
  /** Optional: without it a queue timeout's message does not quote the pod's events. */
  Partial<Pick<K8sApi, "listPodWarnings">>;

export interface RunBuildDeps {
  store: BuildStore;
  k8s: BuildK8s;
  tracker: BuildTracker;
  render: (build: QueuedBuild) => RenderedBuild;
  logger: Logger;
  /** Sees every observation (log capture); told when the build is over here. */
  observer?: { observe(buildId: string, obs: BuildObservation): void; release(buildId: string): void };
  now?: () => number;
  /**
   * Milliseconds the queue was paused (or draining) within [fromMs, toMs]: that
   * time does not count against timeouts.queueSeconds. Read only once a build
   * is past its plain deadline, so the usual path costs nothing.
   */
  pausedMs?: (fromMs: number, toMs: number) => Promise<number>;
  /**
   * Bounds the builds rendering and creating their Job at once (one per worker, sized like the
   * API server connections); without it every build starts at once.
   */
  starts?: StartGate;
}

export interface RunBuildSignals {
  /** Aborted on worker shutdown: stop following and hand the build back (its Job keeps running). */
  shutdown: StopSignal;
  /** Aborted when a cancel for this build was requested. */
  cancel: StopSignal;
}

/** What the BullMQ job returns (QueueEvents users see it; the durable record is the truth). */
export interface BuildResult {
  buildId: string;
  /** `duplicate`: the entry lost its idempotency key to another build (`duplicateOf`); nothing ran or was recorded for it. */
  state: BuildRecord["state"] | "duplicate";
  duplicateOf?: string;
  jobName?: string;
  digest?: string;
  failure?: BuildRecord["failure"];
}

/** Thrown when the worker shuts down mid-build: the queue entry goes back to wait. */
export class HandBackError extends Error {
  readonly code = "HAND_BACK";
  constructor() {
    super("worker is shutting down; build handed back to the queue");
    this.name = "HandBackError";
  }
}

/** Thrown when the request can never succeed (the API server rejected the Job as invalid, name taken by another build). */
export class InvalidBuildError extends Error {
  readonly code = "INVALID_BUILD";
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = "InvalidBuildError";
  }
}

export async function runBuild(build: QueuedBuild, deps: RunBuildDeps, signals: RunBuildSignals): Promise<BuildResult> {
  const { store, logger } = deps;
  const now = deps.now ?? Date.now;
  const ensured = await ensureRecord(store, build);
  if ("duplicateOf" in ensured) {
    logger.debug({ buildId: build.buildId, duplicateOf: ensured.duplicateOf }, "dropped a queue entry whose idempotency key belongs to another build");
    return { buildId: build.buildId, state: "duplicate", duplicateOf: ensured.duplicateOf };
  }
  const { stored } = ensured;
  const record = stored.record;

  if (isTerminalState(record.state)) {
    // Redelivered after the outcome was recorded: make sure a cancelled build's Job is gone.
    if (record.state === "cancelled" && record.jobName) await deleteJobQuietly(deps, record.jobName);
    return resultOf(record);
  }
  if (record.cancelRequestedAt || signals.cancel.aborted) return cancel(deps, build.buildId, record.jobName, record.cancelledBy);

  const followed: FollowedBuild = { buildId: build.buildId, submittedAt: build.submittedAt, queueSeconds: build.request.timeouts.queueSeconds };
  let queueDeadline = Date.parse(build.submittedAt) + build.request.timeouts.queueSeconds * 1000;
  if (record.state === "queued" && now() > queueDeadline) queueDeadline = await pausedDeadline(followed, deps);
  if (record.state === "queued" && now() > queueDeadline) {
    const res = await store.transition(
      build.buildId,
      failedTransition({
        reason: "QueueTimeout",
        message: `not started within ${build.request.timeouts.queueSeconds} s of submission`,
      }),
      { from: stored },
    );
    return resultOf(res.record);
  }

  // Rendered only once a start slot is ours: a build waiting its turn in a burst holds no Job
  // document, request body or HTTP request (see start-gate.ts).
  const release = await deps.starts?.acquire();
  let jobName: string;
  try {
    // Shut down while it waited: nothing was created, back to the queue.
    if (signals.shutdown.aborted) throw new HandBackError();
    const rendered = deps.render(build);
    jobName = rendered.job.metadata?.name ?? "";
    // A failure here escapes: the worker's retry table (queue/retry-policy.ts) decides and records it.
    await ensureJob(deps, build.buildId, rendered, logger.child({ buildId: build.buildId, jobName }));
  } finally {
    release?.();
  }
  const afterStart = await apply(store, build.buildId, [startedTransition(jobName)], stored);

  // Returned, not awaited: this frame (the request, the rendered Job, the first record) ends here;
  // a build followed for an hour keeps only what follow() captures.
  return follow(followed, jobName, queueDeadline, afterStart, deps, signals);
}

/**
 * What following a build needs of its queue entry. Deliberately not the QueuedBuild: a worker
 * follows thousands of builds at once, and each closure kept alive for a build's whole run
 * holds only these fields (the record in the store has the rest).
 */
interface FollowedBuild {
  buildId: string;
  submittedAt: string;
  queueSeconds: number;
}

/** The queue deadline with the time the queue was paused since submission added (plain when unknown). */
async function pausedDeadline(build: Pick<FollowedBuild, "submittedAt" | "queueSeconds">, deps: RunBuildDeps): Promise<number> {
  const submitted = Date.parse(build.submittedAt);
  const plain = submitted + build.queueSeconds * 1000;
  if (!deps.pausedMs) return plain;
  return plain + (await deps.pausedMs(submitted, (deps.now ?? Date.now)()));
}

/**
 * The build's record. The producer writes it right after the queue entry; if
 * that second write failed (or has not happened yet), the entry is all there
 * is, and the record (with its `build.queued` event) is created here from it,
 * claiming the entry's idempotency key exactly as the producer's create would.
 * If the key already names another build, this entry lost a race: two submits
 * with the key both read it as free and both added an entry, and the other's
 * build holds the key (its submit, or a worker recording its entry, came
 * first). This entry's own submit answers with that build and removes the
 * entry, which BullMQ refuses while we hold it: `duplicateOf`, run nothing.
 * Read as a snapshot: the request in it is the one just validated from the queue entry.
 */
async function ensureRecord(store: BuildStore, build: QueuedBuild): Promise<{ stored: StoredBuild } | { duplicateOf: string }> {
  const existing = await store.snapshot(build.buildId);
  if (existing) return { stored: existing };
  const created = await store.create(recordForQueuedBuild(build), createOptionsForQueuedBuild(build));
  if (created.created) return { stored: created.stored };
  if (created.buildId !== build.buildId) return { duplicateOf: created.buildId };
  const raced = await store.snapshot(build.buildId);
  if (!raced) throw new InvalidBuildError(`build ${build.buildId} has no record`);
  return { stored: raced };
}

/** Creates the Job (and its ConfigMap), or adopts the one a previous run created. */
async function ensureJob(deps: RunBuildDeps, buildId: string, rendered: RenderedBuild, log: Logger): Promise<V1Job> {
  const { k8s } = deps;
  if (rendered.configMap) {
    try {
      await k8s.createConfigMap(rendered.configMap);
    } catch (err) {
      if (!isK8sError(err, "ALREADY_EXISTS")) throw invalidOr(err);
    }
  }
  let job: V1Job;
  try {
    job = await withSpan("k8s.job.create", { ...buildAttributes({ buildId }), "k8s.job.name": rendered.job.metadata?.name ?? "" }, () => k8s.createJob(rendered.job), "client");
    log.info("created build Job");
  } catch (err) {
    if (!isK8sError(err, "ALREADY_EXISTS")) throw invalidOr(err);
    job = await k8s.readJob(rendered.job.metadata?.name ?? "");
    const owner = buildIdOf(job);
    if (owner !== buildId) {
      throw new InvalidBuildError(
        `Job ${job.metadata?.name ?? "?"} exists but belongs to build ${owner ?? "(none)"}, not ${buildId}`,
      );
    }
    log.info("adopted existing build Job");
  }
  if (rendered.configMap?.metadata?.name && job.metadata?.uid) {
    await k8s.patchConfigMapOwner(rendered.configMap.metadata.name, ownerReferenceForJob(job));
  }
  return job;
}

function invalidOr(err: unknown): unknown {
  if (isK8sError(err, "INVALID")) return new InvalidBuildError(`the Kubernetes API rejected the build Job: ${err.message}`);
  return err;
}

/** Follows the shared watch until the build is terminal, cancelled, timed out, or handed back. */
function follow(
  build: FollowedBuild,
  jobName: string,
  initialDeadline: number,
  started: StoredBuild,
  deps: RunBuildDeps,
  signals: RunBuildSignals,
): Promise<BuildResult> {
  const { store, tracker } = deps;
  const now = deps.now ?? Date.now;
  // The build's child logger only when something is logged (rarely): one per followed build costs ~0.4 KiB.
  const log = (): Logger => deps.logger.child({ buildId: build.buildId, jobName });
  // The build as this run last wrote or read it: transitions start from it
  // (no read before each write); the store re-checks the real state. Kept only
  // while the build starts, when transitions follow each other within seconds:
  // once it runs, the next one may be an hour away, and a worker following
  // thousands of builds would hold a full record (~1.4 KiB) for each of them
  // meanwhile. That next transition reads the record first (one round trip).
  // Outside the executor, so the closures below capture `known` and not `started` as well.
  let known: StoredBuild | undefined = retainable(started);
  return new Promise<BuildResult>((resolve, reject) => {
    let latest: BuildObservation | undefined;
    let done = false;
    let chain: Promise<void> = Promise.resolve();
    let queueDeadline = initialDeadline;
    // Pending past the queue deadline with no further pod change still fails the build. Armed
    // only while the build waits for a pod: a running build (for an hour, 10,000 at a time)
    // holds no timer; an attempt pending again arms it again.
    let queueTimer: NodeJS.Timeout | undefined;
    const armQueueTimer = (): void => {
      clearTimeout(queueTimer);
      queueTimer = setTimeout(() => {
        queueTimer = undefined;
        enqueue(() => checkQueueTimeout(latest));
      }, Math.max(0, queueDeadline - now()) + 50);
      queueTimer.unref();
    };
    armQueueTimer();

    const finish = (outcome: { result: BuildResult } | { error: unknown }): void => {
      if (done) return;
      done = true;
      unsubscribe();
      deps.observer?.release(build.buildId);
      clearTimeout(queueTimer);
      queueTimer = undefined;
      signals.shutdown.removeEventListener("abort", onShutdown);
      signals.cancel.removeEventListener("abort", onCancel);
      if ("result" in outcome) resolve(outcome.result);
      else reject(outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error)));
    };
    // Observations are handled one at a time, in order; a failure ends the run
    // with the error (BullMQ retries; the next run adopts the Job).
    const enqueue = (step: () => Promise<BuildResult | undefined>): void => {
      chain = chain.then(async () => {
        if (done) return;
        try {
          const result = await step();
          if (result) finish({ result });
        } catch (err) {
          finish({ error: err });
        }
      });
    };

    const onObservation = (obs: BuildObservation): void => {
      latest = obs;
      if (obs.pendingReason !== undefined || obs.phase === "pending") {
        if (queueTimer === undefined && !done) armQueueTimer();
      } else {
        clearTimeout(queueTimer);
        queueTimer = undefined;
      }
      deps.observer?.observe(build.buildId, obs);
      enqueue(async () => {
        if (obs.failure?.reason === "JobDeleted") return jobGone(store, build.buildId, obs, jobName, log());
        const from = known ?? (await snapshotOf(store, build.buildId));
        const plan = planTransitions(from.record, obs, jobName);
        known = retainable(from);
        if (plan.length === 0) return isTerminalPhase(obs.phase) ? undefined : checkQueueTimeout(obs);
        const after = await apply(store, build.buildId, plan, from);
        known = retainable(after);
        const record = after.record;
        if (isTerminalState(record.state)) return resultOf(record);
        if (isTerminalPhase(obs.phase)) return undefined;
        return checkQueueTimeout(obs);
      });
    };

    const checkQueueTimeout = async (obs: BuildObservation | undefined): Promise<BuildResult | undefined> => {
      if (!obs?.pendingReason && obs?.phase !== "pending") return undefined;
      if (now() <= queueDeadline) return undefined;
      // Past the plain deadline: time the queue spent paused meanwhile does not count.
      queueDeadline = Math.max(queueDeadline, await pausedDeadline(build, deps));
      if (now() <= queueDeadline) {
        armQueueTimer();
        return undefined;
      }
      const reason: FailureReason = obs.pendingReason ?? "QueueTimeout";
      const why = await pendingPodWarning(deps, obs, log());
      const res = await store.transition(
        build.buildId,
        failedTransition({
          reason,
          message: `not running within ${build.queueSeconds} s of submission${
            obs.pendingReason ? ` (pod ${obs.pendingReason})` : ""
          }${why ?? ""}`,
        }),
      );
      await deleteJobQuietly(deps, jobName);
      return resultOf(res.record);
    };

    const onShutdown = (): void => finish({ error: new HandBackError() });
    const onCancel = (): void =>
      enqueue(async () => {
        const record = await current(store, build.buildId);
        return cancel(deps, build.buildId, jobName, record.cancelledBy);
      });

    signals.shutdown.addEventListener("abort", onShutdown);
    signals.cancel.addEventListener("abort", onCancel);
    const unsubscribe = tracker.watchBuild(build.buildId, onObservation);
    if (signals.shutdown.aborted) onShutdown();
    else if (signals.cancel.aborted) onCancel();
  });
}

/**
 * `: pod <name>: <Reason>: <message>` from the newest Warning event of the attempt that
 * never started (a missing Secret shows only there), or nothing. Best effort and
 * bounded by the adapter's deadline: the build fails either way.
 */
async function pendingPodWarning(deps: RunBuildDeps, obs: BuildObservation, log: Logger): Promise<string | undefined> {
  const current = obs.attempts.at(-1);
  if (current === undefined || current.startedAt !== undefined || current.exitCode !== undefined || deps.k8s.listPodWarnings === undefined) return undefined;
  try {
    const warning = latestWarning(await deps.k8s.listPodWarnings(current.podName));
    return warning === undefined ? undefined : `: pod ${current.podName}: ${warning}`;
  } catch (err) {
    log.warn({ err: { code: isK8sError(err) ? err.code : undefined }, podName: current.podName }, "could not read the pending pod's events");
    return undefined;
  }
}

/** Records a cancel once and deletes the Job (Background: its pods go too). */
async function cancel(deps: RunBuildDeps, buildId: string, jobName: string | undefined, by?: string): Promise<BuildResult> {
  const res = await deps.store.transition(buildId, cancelledTransition(by));
  const name = jobName ?? res.record.jobName;
  if (name) await deleteJobQuietly(deps, name);
  return resultOf(res.record);
}

/** The Job vanished before it finished: a cancel (ours, or one that raced us) or someone deleted it. */
async function jobGone(
  store: BuildStore,
  buildId: string,
  obs: BuildObservation,
  jobName: string,
  log: Logger,
): Promise<BuildResult> {
  const record = await current(store, buildId);
  if (isTerminalState(record.state)) return resultOf(record);
  if (record.cancelRequestedAt) {
    return resultOf((await store.transition(buildId, cancelledTransition(record.cancelledBy))).record);
  }
  log.warn("build Job disappeared before it finished");
  return resultOf((await apply(store, buildId, planTransitions(record, obs, jobName))).record);
}

async function deleteJobQuietly(deps: Pick<RunBuildDeps, "k8s">, name: string): Promise<void> {
  try {
    await deps.k8s.deleteJob(name);
  } catch (err) {
    if (!isK8sError(err, "NOT_FOUND")) throw err;
  }
}

/** Applies planned transitions in order, each from what the previous one left; returns the build as it then is. */
async function apply(store: BuildStore, buildId: string, plan: readonly Transition[], from?: StoredBuild): Promise<StoredBuild> {
  let stored = from;
  for (const t of plan) stored = (await store.transition(buildId, t, stored ? { from: stored } : {})).stored;
  if (stored) return stored;
  const fresh = await store.snapshot(buildId);
  if (!fresh) throw new InvalidBuildError(`build ${buildId} has no record`);
  return fresh;
}

/** PURE: the stored build worth keeping between observations: only one still starting (see follow). */
export function retainable(stored: StoredBuild): StoredBuild | undefined {
  const { state } = stored.record;
  return state === "queued" || state === "starting" || state === "retrying" ? stored : undefined;
}

async function snapshotOf(store: BuildStore, buildId: string): Promise<StoredBuild> {
  const stored = await store.snapshot(buildId);
  if (!stored) throw new InvalidBuildError(`build ${buildId} has no record`);
  return stored;
}

async function current(store: BuildStore, buildId: string): Promise<BuildRecord> {
  const record = await store.get(buildId);
  if (!record) throw new InvalidBuildError(`build ${buildId} has no record`);
  return record;
}

export function resultOf(record: BuildRecord): BuildResult {
  return {
    buildId: record.id,
    state: record.state,
    ...(record.jobName ? { jobName: record.jobName } : {}),
    ...(record.digest ? { digest: record.digest } : {}),
    ...(record.failure ? { failure: record.failure } : {}),
  };
}
