import { isTerminalState, parseImageReference, type BuildRecord, type BuildRequest, type TagPolicy } from "../contract/index.js";
import type { Logger } from "../logging/logger.js";
import { tryNormaliseReference } from "../catalog/image-ref.js";
import { pinBuildRequest } from "../rebuilds/pin.js";
import { basesUnchanged, concurrencyDecision, firingKey, mirrorBuildRequest, sourceUnchanged } from "./decide.js";
import type { ScheduleRun, StoredSchedule } from "./schedule-store.js";

/**
 * One firing of one schedule, over function-shaped ports: what ran before,
 * the registry check, the normal submit path and cancel. It decides and
 * submits; recording the run is the caller's (with the cursor, atomically).
 */

export interface FireDeps {
  /** Newest first. */
  runs: () => Promise<ScheduleRun[]>;
  getBuild: (buildId: string) => Promise<BuildRecord | undefined>;
  /** The normal submit path (submitBuild) with the firing's idempotency key. */
  submit: (tenant: string, request: BuildRequest, idempotencyKey: string, pinned?: { sourceDigest?: string }) => Promise<{ buildId: string }>;
  cancel: (buildId: string) => Promise<void>;
  /** The source tag's current digest (registry HEAD), with the credentials of `secretName` when given (else anonymous). */
  resolveDigest: (ref: { registry: string; repository: string; tag: string }, secretName?: string) => Promise<string>;
  /**
   * An image target from the catalog: its build request and its bases'
   * canonical references (undefined when the catalog could not resolve them,
   * e.g. a Dockerfile in git). Undefined: no such image.
   */
  imageTarget: (tenant: string, name: string) => Promise<{ request: BuildRequest; bases: string[] | undefined } | undefined>;
  tagPolicy?: TagPolicy;
  logger: Logger;
}

/** The newest build a previous firing submitted that has not finished. */
async function runningBuild(deps: FireDeps, runs: readonly ScheduleRun[]): Promise<string | undefined> {
  const last = runs.find((r) => r.outcome === "built" && r.buildId !== undefined);
  if (last?.buildId === undefined) return undefined;
  const record = await deps.getBuild(last.buildId);
  return record !== undefined && !isTerminalState(record.state) ? record.id : undefined;
}

/** The newest firing that recorded what it built from (`has`) and whose build succeeded. */
async function lastSucceeded(deps: FireDeps, runs: readonly ScheduleRun[], has: (run: ScheduleRun) => boolean): Promise<ScheduleRun | undefined> {
  for (const run of runs) {
    if (run.outcome !== "built" || run.buildId === undefined || !has(run)) continue;
    const record = await deps.getBuild(run.buildId);
    if (record?.state === "succeeded") return run;
  }
  return undefined;
}

/** Each base's digest now: a registry HEAD for a tag, the digest itself for a digest reference. */
async function resolveBases(deps: FireDeps, bases: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const base of bases) {
    const norm = tryNormaliseReference(base);
    if (!norm.ok) throw new Error(`base ${JSON.stringify(base)} is not an image reference: ${norm.problem}`);
    if (norm.value.digest !== undefined) {
      out[norm.value.canonical] = norm.value.digest;
      continue;
    }
    const ref = parseImageReference(norm.value.canonical);
    out[norm.value.canonical] = await deps.resolveDigest({ registry: ref.registry, repository: ref.repository, tag: ref.tag ?? "latest" });
  }
  return out;
}

export async function fireSchedule(deps: FireDeps, stored: StoredSchedule, fireAt: Date, trigger: ScheduleRun["trigger"]): Promise<ScheduleRun> {
  const { schedule, tenant } = stored;
  const name = schedule.metadata.name;
  const base = { fireAt: fireAt.toISOString(), trigger };
  const logger = deps.logger.child({ schedule: name, tenant, fireAt: base.fireAt });
  const key = firingKey(name, fireAt);
  try {
    const runs = await deps.runs();
    // A replay of this very firing (crash after submit, before the record) keeps its build.
    const previous = runs.filter((r) => r.fireAt !== base.fireAt);
    const decision = concurrencyDecision(schedule.spec.concurrencyPolicy, await runningBuild(deps, previous));
    if (decision.kind === "skip-running") return { ...base, outcome: "skipped", reason: "previous still running", buildId: decision.buildId };
    let replaced: string | undefined;
    if (decision.kind === "replace") {
      await deps.cancel(decision.buildId);
      replaced = decision.buildId;
    }
    const extra = replaced === undefined ? {} : { replaced };
    const target = schedule.spec.target;
    if (target.mirror !== undefined) {
      const ref = parseImageReference(target.mirror.source);
      const digest = await deps.resolveDigest({ registry: ref.registry, repository: ref.repository, tag: ref.tag ?? "latest" }, target.mirror.registryCredentials?.secretName);
      const last = await lastSucceeded(deps, previous, (r) => r.sourceDigest !== undefined);
      if (sourceUnchanged(schedule.spec.skipIfUnchanged, digest, last?.sourceDigest)) {
        logger.info({ digest }, "mirror source unchanged; skipped");
        return { ...base, outcome: "skipped", reason: "unchanged", sourceDigest: digest, ...extra };
      }
      const request = mirrorBuildRequest(target.mirror, digest, { scheduleName: name, idempotencyKey: key, ...(deps.tagPolicy ? { tagPolicy: deps.tagPolicy } : {}) });
      const { buildId } = await deps.submit(tenant, request, key, { sourceDigest: digest });
      logger.info({ digest, buildId }, "mirror build submitted");
      return { ...base, outcome: "built", buildId, sourceDigest: digest, ...extra };
    }
    if (target.image !== undefined) {
      const image = await deps.imageTarget(tenant, target.image);
      if (image === undefined) return { ...base, outcome: "failed", reason: `image ${JSON.stringify(target.image)} is not in the catalog`, ...extra };
      // The image's own key would make every firing the same build: the firing's key is used instead.
      const { idempotencyKey: _own, ...own } = image.request;
      let request: BuildRequest = own;
      let baseDigests: Record<string, string> | undefined;
      if (schedule.spec.skipIfUnchanged && image.bases !== undefined && image.bases.length > 0) {
        baseDigests = await resolveBases(deps, image.bases);
        const last = await lastSucceeded(deps, previous, (r) => r.baseDigests !== undefined);
        if (basesUnchanged(true, baseDigests, last?.baseDigests)) {
          logger.info({ baseDigests }, "image bases unchanged; skipped");
          return { ...base, outcome: "skipped", reason: "unchanged", baseDigests, ...extra };
        }
        // Pinned, so the build uses exactly the digests that were checked (and recorded).
        const pinned = pinBuildRequest(request, new Map(Object.entries(baseDigests)));
        if (pinned.ok) request = pinned.request;
      }
      const { buildId } = await deps.submit(tenant, request, key);
      logger.info({ buildId, baseDigests }, "scheduled image build submitted");
      return { ...base, outcome: "built", buildId, ...(baseDigests !== undefined ? { baseDigests } : {}), ...extra };
    }
    const request = target.build;
    if (request === undefined) return { ...base, outcome: "failed", reason: "the schedule has no target", ...extra };
    const { buildId } = await deps.submit(tenant, request, key);
    logger.info({ buildId }, "scheduled build submitted");
    return { ...base, outcome: "built", buildId, ...extra };
  } catch (err) {
    logger.warn({ err: { message: (err as Error).message } }, "firing failed");
    return { ...base, outcome: "failed", reason: (err as Error).message.slice(0, 1024) };
  }
}
