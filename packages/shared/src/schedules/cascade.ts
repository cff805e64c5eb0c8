import { isTerminalState, type BuildRecord } from "../contract/index.js";
import type { Logger } from "../logging/logger.js";
import type { ScheduleRun, StoredSchedule } from "./schedule-store.js";

/**
 * `cascade: true` on an image schedule: once the newest firing's build has
 * finished, a digest that differs from the schedule's previous successful
 * build starts a rebuild wave for the image's dependents (in the schedule
 * tenant's scope, from the reference it pushed: only what is below the
 * image, which was just built). The run records what happened, so each build
 * is followed once. A first success counts as changed: nothing says what the
 * dependents were built from.
 */

export interface CascadeDeps {
  /** Newest first. */
  runs: () => Promise<ScheduleRun[]>;
  getBuild: (buildId: string) => Promise<BuildRecord | undefined>;
  updateRun: (run: ScheduleRun) => Promise<void>;
  /**
   * Starts a rebuild wave, in the tenant's scope, for the images that build
   * FROM one of `destinations` (the first that has any), pinned to `digest`;
   * its id, or undefined when nothing builds FROM them.
   */
  startWave: (tenant: string, destinations: readonly string[], digest: string, reason: string) => Promise<string | undefined>;
  logger: Logger;
}

export type CascadeDecision = { kind: "wait" } | { kind: "none"; why: "not-succeeded" | "unchanged" } | { kind: "wave"; digest: string };

/** Pure: the newest build's record and the digest of the previous successful one. */
export function cascadeDecision(newest: BuildRecord | undefined, previousDigest: string | undefined): CascadeDecision {
  if (newest === undefined) return { kind: "none", why: "not-succeeded" };
  if (!isTerminalState(newest.state)) return { kind: "wait" };
  if (newest.state !== "succeeded" || newest.digest === undefined) return { kind: "none", why: "not-succeeded" };
  return newest.digest === previousDigest ? { kind: "none", why: "unchanged" } : { kind: "wave", digest: newest.digest };
}

export async function followCascade(deps: CascadeDeps, stored: StoredSchedule): Promise<void> {
  const { spec } = stored.schedule;
  if (!spec.cascade || spec.target.image === undefined) return;
  const built = (await deps.runs()).filter((r) => r.outcome === "built" && r.buildId !== undefined);
  const newest = built[0];
  // Only the newest build is followed: an older one not followed yet has been superseded.
  if (newest?.buildId === undefined || newest.cascade !== undefined) return;
  const record = await deps.getBuild(newest.buildId);
  let previousDigest: string | undefined;
  for (const run of built.slice(1)) {
    const before = await deps.getBuild(run.buildId!);
    if (before?.state === "succeeded") {
      previousDigest = before.digest;
      break;
    }
  }
  const decision = cascadeDecision(record, previousDigest);
  if (decision.kind === "wait") return;
  if (decision.kind === "none") {
    await deps.updateRun({ ...newest, cascade: decision.why });
    return;
  }
  const image = `${stored.tenant}/${spec.target.image}`;
  const destinations = record?.request.destinations ?? [];
  const reason = `schedule ${stored.schedule.metadata.name} built ${image} with digest ${decision.digest}${previousDigest === undefined ? "" : ` (was ${previousDigest})`}`;
  try {
    const waveId = await deps.startWave(stored.tenant, destinations, decision.digest, reason);
    if (waveId === undefined) {
      await deps.updateRun({ ...newest, cascade: "no-dependents" });
      return;
    }
    deps.logger.info({ schedule: stored.schedule.metadata.name, image, waveId, digest: decision.digest }, "cascade: rebuild wave started");
    await deps.updateRun({ ...newest, cascade: "wave", waveId });
  } catch (err) {
    await deps.updateRun({ ...newest, cascade: "failed", cascadeReason: (err as Error).message.slice(0, 1024) });
  }
}
