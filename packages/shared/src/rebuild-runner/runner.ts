import type { Redis } from "ioredis";
import type { BuildStore } from "../builds/build-store.js";
import type { StreamEntry } from "../builds/event-stream.js";
import type { BuildEvent, BuildRecord, Priority, TagPolicy } from "../contract/index.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors/index.js";
import { buildGraph } from "../catalog/graph.js";
import type { Catalog, CatalogGraph } from "../catalog/graph.js";
import type { Logger } from "../logging/logger.js";
import type { BuildQueues } from "../queue/build-queues.js";
import { requestCancel } from "../queue/cancel.js";
import type { Keyspace } from "../redis/keyspace.js";
import { planWave } from "../rebuilds/plan.js";
import type { PlanResult, TenantScope, WavePlan, WaveTrigger } from "../rebuilds/plan.js";
import { advance, applyOutcomes, cancelWave, retryWave, startWave, supersedeWave, waveStatus } from "../rebuilds/wave.js";
import type { NodeChange, NodeOutcome, WaveNode, WaveOptionsInput } from "../rebuilds/wave.js";
import type { CatalogStore } from "../catalog-store/catalog-store.js";
import { newWaveId } from "./wave-store.js";
import { waveEvents } from "./wave-events.js";
import type { BuildLink, NodeBuild, WaveDoc, WaveStore } from "./wave-store.js";
import { submitLevel } from "./submit-level.js";

/**
 * The IO around the pure wave state machine: plan from the stored catalog,
 * submit each ready node's build pinned to its parents' new digests, feed
 * build outcomes back, cancel and retry. Called by the API (start, cancel,
 * retry) and by the coordinator (outcomes from the event stream, sweeps).
 *
 * Every step is: read the wave, decide (pure), do the side effects that are
 * idempotent (submit with the key wave/node/attempt, record image status),
 * then compare-and-set the wave. A crash or a lost race before the write
 * repeats the step, and the repeat submits nothing new.
 */

export interface RunnerDeps {
  store: BuildStore;
  /** The queue port. */
  queue: Pick<BuildQueues, "add" | "addBulk" | "remove">;
  /** A connection that may PUBLISH (cancel signals). */
  redis: Redis;
  ks: Keyspace;
  tagPolicy: TagPolicy;
  catalog: CatalogStore;
  waves: WaveStore;
  logger: Logger;
  now?: () => Date;
}

export interface StartInput {
  /** Who started it, e.g. the tenant of the token. */
  startedBy: string;
  scope: TenantScope;
  trigger: WaveTrigger;
  options?: WaveOptionsInput;
  reason?: string;
  /** Of every build of the wave: `bulk` unless asked otherwise, so a wave never crowds out other producers. */
  priority?: Priority;
}

const MAX_ROUNDS = 20;

export async function planRebuild(deps: Pick<RunnerDeps, "catalog">, scope: TenantScope, trigger: WaveTrigger): Promise<{ result: PlanResult; graph: CatalogGraph }> {
  const { catalog } = await deps.catalog.catalog();
  const graph = graphOf(deps.catalog, catalog);
  return { result: planWave(graph, trigger, scope), graph };
}

/**
 * The last graph built from each catalog store's catalog, read-only: while the
 * catalog's version stays, its store hands out the same entry objects, and a
 * wave's first step (or a dry run) would build the same graph again (a tenth
 * of a 2,000-node first step). Rebuilt when an entry or a produced digest differs.
 */
const graphs = new WeakMap<object, { catalog: Catalog; graph: CatalogGraph }>();

function graphOf(store: object, catalog: Catalog): CatalogGraph {
  const known = graphs.get(store);
  if (known !== undefined && sameCatalog(known.catalog, catalog)) return known.graph;
  const graph = buildGraph(catalog);
  graphs.set(store, { catalog, graph });
  return graph;
}

/** Same entry objects in the same order, and the same digests per image. */
function sameCatalog(a: Catalog, b: Catalog): boolean {
  if (a.entries.length !== b.entries.length || !a.entries.every((e, i) => e === b.entries[i])) return false;
  const da = a.digests ?? new Map<string, readonly string[]>();
  const db = b.digests ?? new Map<string, readonly string[]>();
  if (da.size !== db.size) return false;
  for (const [id, list] of da) {
    const other = db.get(id);
    if (other === undefined || other.length !== list.length || !list.every((d, i) => d === other[i])) return false;
  }
  return true;
}

/** A plan that could not be made, as the error the API answers. */
export function planError(result: Extract<PlanResult, { ok: false }>): Error {
  switch (result.problem) {
    case "not-found":
      return new NotFoundError(result.message);
    case "ambiguous":
      return new ValidationError([{ path: "base", message: result.message }]);
    case "cycle":
      return new ConflictError(result.message);
  }
}

export async function startRebuild(deps: RunnerDeps, input: StartInput): Promise<WaveDoc> {
  const { result } = await planRebuild(deps, input.scope, input.trigger);
  if (!result.ok) throw planError(result);
  const now = (deps.now ?? (() => new Date()))();
  const wave = startWave(result.plan, input.options ?? {});
  const status = waveStatus(wave);
  const doc: WaveDoc = {
    id: newWaveId(now),
    startedBy: input.startedBy,
    scope: input.scope.kind,
    ...(input.scope.kind === "tenant" ? { tenant: input.scope.tenant } : {}),
    trigger:
      "images" in input.trigger
        ? { images: [...input.trigger.images] }
        : {
            base: input.trigger.base,
            ...(input.trigger.digest !== undefined ? { digest: input.trigger.digest } : {}),
            ...(input.trigger.dependents !== undefined ? { dependents: [...input.trigger.dependents] } : {}),
          },
    ...(input.reason !== undefined ? { reason: input.reason } : {}),
    priority: input.priority ?? "bulk",
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    ...(status.terminal ? { finishedAt: now.toISOString() } : {}),
    // A wave with nothing in it is finished at once (its plan's warnings say why).
    state: status.terminal ? "succeeded" : "running",
    version: 0,
    plan: result.plan,
    wave,
    builds: {},
    eventSeq: 0,
  };
  const saved = await deps.waves.save(doc, [], waveEvents(undefined, doc, []));
  if (saved === undefined) throw new ConflictError(`wave ${doc.id} exists already`);
  deps.logger.info({ waveId: doc.id, nodes: result.plan.nodes.length, levels: result.plan.levels.length }, "rebuild wave started");
  // Its first step from the document just written: a 2,000-node wave's document is a megabyte to read back.
  return (await driveWave(deps, doc.id, [], saved)) ?? saved;
}

/** The outcome a build event means for its wave node, if any. */
export function outcomeOfEvent(event: BuildEvent, link: BuildLink): NodeOutcome | undefined {
  const base = { id: link.nodeId, attempt: link.attempt };
  switch (event.type) {
    case "build.started":
    case "build.running":
      return { ...base, type: "started" };
    case "build.succeeded":
      return { ...base, type: "succeeded", digest: event.data.digest };
    case "build.failed":
      return { ...base, type: "failed", reason: `build ${event.data.buildId} failed (${event.data.reason}): ${event.data.message}` };
    case "build.cancelled":
      return { ...base, type: "cancelled", reason: `build ${event.data.buildId} was cancelled` };
    case "build.queued":
    case "build.retrying":
      return undefined;
  }
}

/** The outcome a build record's state means, for sweeps that read records instead of events. */
export function outcomeOfRecord(record: BuildRecord, link: Pick<BuildLink, "nodeId" | "attempt">): NodeOutcome | undefined {
  const base = { id: link.nodeId, attempt: link.attempt };
  switch (record.state) {
    case "succeeded":
      return record.digest === undefined ? undefined : { ...base, type: "succeeded", digest: record.digest };
    case "failed":
      return { ...base, type: "failed", reason: `build ${record.id} failed (${record.failure?.reason ?? "unknown"}): ${record.failure?.message ?? ""}` };
    case "cancelled":
      return { ...base, type: "cancelled", reason: `build ${record.id} was cancelled` };
    case "queued":
      return undefined;
    default:
      return { ...base, type: "started" };
  }
}

/**
 * One step of a wave: apply outcomes, enqueue what is ready, persist.
 * Idempotent; undefined when the wave does not exist.
 */
export async function driveWave(deps: RunnerDeps, waveId: string, outcomes: readonly NodeOutcome[], written?: WaveDoc): Promise<WaveDoc | undefined> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    // `written`: the wave as this caller just saved it, for the first round (if stale, the save refuses it and the next round reads).
    const doc = round === 0 && written !== undefined ? written : await deps.waves.get(waveId);
    if (doc === undefined) return undefined;
    const applied = applyOutcomes(doc.wave, outcomes);
    let wave = applied.wave;
    const changes: NodeChange[] = [...applied.changes];
    const builds: Record<string, NodeBuild> = { ...doc.builds };
    const links: [string, BuildLink][] = [];
    // Enqueue until nothing more is ready; a node whose submit is refused fails, and that may free others.
    for (let guard = 0; guard <= wave.nodes.length; guard++) {
      const step = advance(wave);
      wave = step.wave;
      changes.push(...step.changes);
      const refused: NodeOutcome[] = [];
      const submitted = await submitLevel(deps, doc, wave, step.enqueue);
      step.enqueue.forEach((node, i) => {
        const result = submitted[i]!;
        if (result.ok) {
          builds[node.id] = result.build;
          links.push([result.build.buildId, { waveId, nodeId: node.id, attempt: node.attempt }]);
        } else {
          refused.push({ id: node.id, attempt: node.attempt, type: "failed", reason: result.reason });
        }
      });
      if (refused.length === 0) break;
      const failed = applyOutcomes(wave, refused);
      wave = failed.wave;
      changes.push(...failed.changes);
    }
    if (changes.length === 0 && wave === doc.wave) return doc;
    // Before the wave write: idempotent by build id, so a repeated step records nothing twice.
    for (const change of changes) {
      const build = builds[change.id];
      if (change.to !== "succeeded" || change.digest === undefined || build === undefined) continue;
      const builtFrom = Object.fromEntries(build.pins.map((p) => [p.base, p.digest]));
      await deps.catalog.recordBuild(change.id, { buildId: build.buildId, digest: change.digest, builtFrom, waveId });
    }
    const status = waveStatus(wave);
    const at = (deps.now ?? (() => new Date()))().toISOString();
    const next: WaveDoc = { ...doc, wave, builds, state: status.state, updatedAt: at };
    if (status.terminal) next.finishedAt ??= at;
    const saved = await deps.waves.save(next, links, waveEvents(doc, next, changes));
    if (saved === undefined) continue;
    const log = deps.logger.child({ waveId });
    for (const change of changes) log.info({ node: change.id, from: change.from, to: change.to, attempt: change.attempt, buildId: builds[change.id]?.buildId }, "wave node changed");
    if (status.terminal && doc.state === "running") log.info({ state: status.state, counts: status.counts }, "rebuild wave finished");
    return saved;
  }
  throw new ConflictError(`wave ${waveId} kept changing under this step (${MAX_ROUNDS} rounds); it is retried on the next event or sweep`);
}

/** Cancels a wave: pending nodes cancelled, queued and running builds cancelled through the normal cancel path. */
export async function cancelRebuild(deps: RunnerDeps, waveId: string, by: string): Promise<WaveDoc | undefined> {
  return stopRebuild(deps, waveId, by, "cancel");
}

/**
 * Supersedes an automatic wave (a newer digest of its base settled): its
 * nodes that have not started are cancelled — pending ones at once, queued
 * builds through the normal cancel path with reason `Superseded` — while
 * running builds finish. The caller starts the wave that re-plans them.
 */
export async function supersedeRebuild(deps: RunnerDeps, waveId: string): Promise<WaveDoc | undefined> {
  return stopRebuild(deps, waveId, SUPERSEDED_BY, "supersede");
}

/** `cancelledBy` of a superseded wave. */
export const SUPERSEDED_BY = "Superseded";

async function stopRebuild(deps: RunnerDeps, waveId: string, by: string, mode: "cancel" | "supersede"): Promise<WaveDoc | undefined> {
  let doc: WaveDoc | undefined;
  let inFlight: WaveNode[] = [];
  for (let round = 0; round < MAX_ROUNDS && inFlight.length === 0; round++) {
    const current = await deps.waves.get(waveId);
    if (current === undefined) return undefined;
    if (current.state !== "running") return current;
    const step = mode === "cancel" ? cancelWave(current.wave) : supersedeWave(current.wave);
    const status = waveStatus(step.wave);
    const at = (deps.now ?? (() => new Date()))().toISOString();
    const next: WaveDoc = { ...current, wave: step.wave, state: status.state, updatedAt: at, cancelledBy: by, ...(status.terminal ? { finishedAt: at } : {}) };
    doc = await deps.waves.save(next, [], waveEvents(current, next, step.changes));
    if (doc === undefined) continue;
    inFlight = step.cancel;
    if (inFlight.length === 0) return doc;
  }
  if (doc === undefined) throw new ConflictError(`wave ${waveId} kept changing; try the cancel again`);
  const outcomes: NodeOutcome[] = [];
  for (const node of inFlight) {
    const build = doc.builds[node.id];
    if (build === undefined) continue;
    // Superseding cancels only what has not started: a build a worker took meanwhile finishes.
    const options = mode === "supersede" ? { reason: "Superseded" as const, onlyStates: ["queued" as const] } : {};
    const record = await requestCancel({ store: deps.store, queue: deps.queue, redis: deps.redis, keyspace: deps.ks }, build.buildId, by, options);
    // A build removed from the queue is cancelled now; a running one reports through the event stream.
    const outcome = outcomeOfRecord(record, { nodeId: node.id, attempt: build.attempt });
    if (outcome !== undefined) outcomes.push(outcome);
  }
  return (await driveWave(deps, waveId, outcomes)) ?? doc;
}

/** Failed, skipped and cancelled nodes again (their next attempt); succeeded digests are kept. */
export async function retryRebuild(deps: RunnerDeps, waveId: string): Promise<WaveDoc | undefined> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const current = await deps.waves.get(waveId);
    if (current === undefined) return undefined;
    if (current.state === "running") throw new ConflictError(`wave ${waveId} is still running; retry it once it finished`);
    if (current.state === "succeeded") return current;
    const step = retryWave(current.wave);
    const at = (deps.now ?? (() => new Date()))().toISOString();
    const { finishedAt: _done, cancelledBy: _by, ...rest } = current;
    const next: WaveDoc = { ...rest, wave: step.wave, state: "running", updatedAt: at };
    const saved = await deps.waves.save(next, [], waveEvents(current, next, step.changes));
    if (saved === undefined) continue;
    return (await driveWave(deps, waveId, [])) ?? saved;
  }
  throw new ConflictError(`wave ${waveId} kept changing; try the retry again`);
}

/** Build events of wave nodes, applied per wave. Entries of other builds are ignored. */
export async function applyBuildEvents(deps: RunnerDeps, entries: readonly StreamEntry[]): Promise<void> {
  const byWave = new Map<string, NodeOutcome[]>();
  for (const entry of entries) {
    // The waves' own rebuild.* events: nothing to apply.
    if (entry.kind !== "build") continue;
    const link = await appliedLinkOf(deps, entry.buildId, entry.event);
    if (link === undefined) continue;
    const outcome = outcomeOfEvent(entry.event, link);
    if (outcome === undefined) continue;
    const list = byWave.get(link.waveId);
    if (list === undefined) byWave.set(link.waveId, [outcome]);
    else list.push(outcome);
  }
  for (const [waveId, outcomes] of byWave) await driveWave(deps, waveId, outcomes);
}

/**
 * The wave node a build belongs to: the link the wave's write saved or, when
 * its event is read before that write, the origin its record was created with
 * (the queue entry carries it). Only events that may change a node (not
 * `build.queued`/`build.retrying`) read the record.
 */
export async function waveLinkOf(deps: Pick<RunnerDeps, "waves" | "store">, buildId: string, event: BuildEvent): Promise<BuildLink | undefined> {
  const link = await deps.waves.link(buildId);
  if (link !== undefined) return link;
  if (event.type === "build.queued" || event.type === "build.retrying") return undefined;
  const origin = (await deps.store.get(buildId))?.rebuild;
  return origin === undefined ? undefined : { waveId: origin.waveId, nodeId: origin.nodeId, attempt: origin.attempt };
}

/**
 * The wave node a build event can move: only once the wave's own write
 * recorded the build. An event read before that write (its link comes from
 * the record's origin) waits for the sweep: driving the wave then would
 * re-decide the step still being written and submit its nodes a second time
 * alongside it.
 */
async function appliedLinkOf(deps: RunnerDeps, buildId: string, event: BuildEvent): Promise<BuildLink | undefined> {
  const saved = await deps.waves.link(buildId);
  if (saved !== undefined) return saved;
  const origin = await waveLinkOf(deps, buildId, event);
  if (origin === undefined) return undefined;
  const doc = await deps.waves.get(origin.waveId);
  return doc?.builds[origin.nodeId]?.buildId === buildId ? origin : undefined;
}

/**
 * Reads the records of a wave's in-flight builds and drives the wave with
 * what they say: catches up on events the stream delivered before the
 * wave's write linked the build, and on a wave whose starter crashed before
 * its first step.
 */
export async function reconcileWave(deps: RunnerDeps, waveId: string): Promise<WaveDoc | undefined> {
  const doc = await deps.waves.get(waveId);
  if (doc === undefined || doc.state !== "running") return doc;
  const outcomes: NodeOutcome[] = [];
  for (const node of doc.wave.nodes) {
    if (node.state !== "queued" && node.state !== "running") continue;
    const build = doc.builds[node.id];
    if (build === undefined || build.attempt !== node.attempt) continue;
    const record = await deps.store.get(build.buildId);
    const outcome = record === undefined ? undefined : outcomeOfRecord(record, { nodeId: node.id, attempt: build.attempt });
    if (outcome !== undefined) outcomes.push(outcome);
  }
  return driveWave(deps, waveId, outcomes);
}

export type { WavePlan };
