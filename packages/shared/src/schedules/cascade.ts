import { isTerminalState, type BuildRecord } from "../contract/index.js";
import type { CatalogGraph, ImageId } from "../catalog/graph.js";
import type { Logger } from "../logging/logger.js";
import { staleDependents } from "../rebuilds/stale.js";
import type { ScheduleRun, StoredSchedule } from "./schedule-store.js";

/**
 * `cascade: true` on an image schedule: once the newest firing's build has
 * succeeded, a rebuild wave starts for the image's dependents (in the
 * schedule tenant's scope) that were not built from its new digest: decided
 * per dependent from the base digest its last build recorded (`builtFrom`),
 * never from the schedule's own history. A first success whose dependents
 * are already built from that digest starts nothing; one whose dependents
 * were never built rebuilds them. One wave covers the dependents of every
 * destination the image pushes. The run records what happened, so each
 * build is followed once.
 */

export interface CascadeDeps {
  /** Newest first. */
  runs: () => Promise<ScheduleRun[]>;
  getBuild: (buildId: string) => Promise<BuildRecord | undefined>;
  updateRun: (run: ScheduleRun) => Promise<void>;
  /**
   * Starts one rebuild wave, in the tenant's scope, for the dependents of
   * catalog image `image` (by name) that `cascadeTargets` finds stale for
   * `digest`, pinned to it; its id, or why there is none.
   */
  startWave: (tenant: string, image: string, digest: string, reason: string) => Promise<{ waveId: string } | { none: "no-dependents" | "unchanged" }>;
  logger: Logger;
}

export type CascadeDecision = { kind: "wait" } | { kind: "none"; why: "not-succeeded" } | { kind: "follow"; digest: string };

/** Pure: whether the newest build is finished and has a digest to follow. */
export function cascadeDecision(newest: BuildRecord | undefined): CascadeDecision {
  if (newest === undefined) return { kind: "none", why: "not-succeeded" };
  if (!isTerminalState(newest.state)) return { kind: "wait" };
  if (newest.state !== "succeeded" || newest.digest === undefined) return { kind: "none", why: "not-succeeded" };
  return { kind: "follow", digest: newest.digest };
}

export type CascadeTargets = { kind: "no-dependents" } | { kind: "unchanged" } | { kind: "wave"; dependents: ImageId[] };

/**
 * Pure: which of `image`'s direct dependents of `tenant` a build with
 * `digest` rebuilds — every one whose last build was not pinned to exactly
 * `digest` for its base naming the image (through any of its destinations).
 */
export function cascadeTargets(
  graph: CatalogGraph,
  image: ImageId,
  digest: string,
  tenant: string,
  builtFrom: (id: ImageId) => Readonly<Record<string, string>> | undefined,
): CascadeTargets {
  const own = (node: { tenant: string }) => node.tenant === tenant;
  if (!graph.nodes.has(image) || !(graph.childIds.get(image) ?? []).some((id) => own(graph.nodes.get(id)!))) return { kind: "no-dependents" };
  const stale = staleDependents(graph, image, digest, builtFrom, own);
  return stale.length === 0 ? { kind: "unchanged" } : { kind: "wave", dependents: stale };
}

export async function followCascade(deps: CascadeDeps, stored: StoredSchedule): Promise<void> {
  const { spec } = stored.schedule;
  if (!spec.cascade || spec.target.image === undefined) return;
  const built = (await deps.runs()).filter((r) => r.outcome === "built" && r.buildId !== undefined);
  const newest = built[0];
  // Only the newest build is followed: an older one not followed yet has been superseded.
  if (newest?.buildId === undefined || newest.cascade !== undefined) return;
  const decision = cascadeDecision(await deps.getBuild(newest.buildId));
  if (decision.kind === "wait") return;
  if (decision.kind === "none") {
    await deps.updateRun({ ...newest, cascade: decision.why });
    return;
  }
  // For the wave's reason only: whether to rebuild is decided per dependent.
  let previousDigest: string | undefined;
  for (const run of built.slice(1)) {
    const before = await deps.getBuild(run.buildId!);
    if (before?.state === "succeeded") {
      previousDigest = before.digest;
      break;
    }
  }
  const image = `${stored.tenant}/${spec.target.image}`;
  const reason = `schedule ${stored.schedule.metadata.name} built ${image} with digest ${decision.digest}${previousDigest === undefined || previousDigest === decision.digest ? "" : ` (was ${previousDigest})`}`;
  try {
    const started = await deps.startWave(stored.tenant, spec.target.image, decision.digest, reason);
    if ("none" in started) {
      await deps.updateRun({ ...newest, cascade: started.none });
      return;
    }
    deps.logger.info({ schedule: stored.schedule.metadata.name, image, waveId: started.waveId, digest: decision.digest }, "cascade: rebuild wave started");
    await deps.updateRun({ ...newest, cascade: "wave", waveId: started.waveId });
  } catch (err) {
    await deps.updateRun({ ...newest, cascade: "failed", cascadeReason: (err as Error).message.slice(0, 1024) });
  }
}
