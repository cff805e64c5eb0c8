import { parseBuildRequest, type BuildRequest, type TagPolicy } from "../contract/index.js";
import type { ConcurrencyPolicy, Schedule } from "./schedule.js";
import { latestFire } from "./cron.js";

/**
 * The scheduler's decisions as pure functions over plain data: which firing is
 * due, whether it runs given the previous one, whether a mirror's source
 * changed, and the build a mirror firing submits.
 */

export type DueDecision =
  | { kind: "none" }
  /** The latest scheduled time is past its starting deadline: skipped, never piled up. */
  | { kind: "missed"; fireAt: Date }
  | { kind: "fire"; fireAt: Date };

/**
 * The firing due at `now`: only the LATEST scheduled time after the last one
 * handled (so downtime of an hour on an every-minute schedule gives one
 * catch-up firing, not sixty), and only within `startingDeadlineSeconds`.
 * A schedule never handled before starts from its creation time.
 */
export function dueFiring(spec: Pick<Schedule["spec"], "cron" | "timeZone" | "startingDeadlineSeconds" | "suspend">, lastHandledAt: Date, now: Date): DueDecision {
  if (spec.suspend) return { kind: "none" };
  const latest = latestFire(spec.cron, spec.timeZone, now);
  if (latest === undefined || latest.getTime() <= lastHandledAt.getTime()) return { kind: "none" };
  if (now.getTime() - latest.getTime() > spec.startingDeadlineSeconds * 1000) return { kind: "missed", fireAt: latest };
  return { kind: "fire", fireAt: latest };
}

export type ConcurrencyDecision = { kind: "run" } | { kind: "skip-running"; buildId: string } | { kind: "replace"; buildId: string };

/** CronJob semantics for a previous build that has not finished (undefined: none is running). */
export function concurrencyDecision(policy: ConcurrencyPolicy, runningBuildId: string | undefined): ConcurrencyDecision {
  if (runningBuildId === undefined) return { kind: "run" };
  switch (policy) {
    case "Forbid":
      return { kind: "skip-running", buildId: runningBuildId };
    case "Replace":
      return { kind: "replace", buildId: runningBuildId };
    case "Allow":
      return { kind: "run" };
  }
}

/**
 * A Kaniko mirror re-pushes, so the destination digest never equals the
 * source's: the skip compares the source digest now with the one recorded at
 * the last SUCCESSFUL mirror.
 */
export function sourceUnchanged(skipIfUnchanged: boolean, currentDigest: string, lastSucceededDigest: string | undefined): boolean {
  return skipIfUnchanged && lastSucceededDigest !== undefined && currentDigest === lastSucceededDigest;
}

/**
 * An image target's bases are unchanged when every base resolved now has the
 * digest recorded at the last SUCCESSFUL firing, and no base was added or dropped.
 */
export function basesUnchanged(skipIfUnchanged: boolean, current: Readonly<Record<string, string>>, lastSucceeded: Readonly<Record<string, string>> | undefined): boolean {
  if (!skipIfUnchanged || lastSucceeded === undefined) return false;
  const names = Object.keys(current);
  return names.length > 0 && names.length === Object.keys(lastSucceeded).length && names.every((n) => lastSucceeded[n] === current[n]);
}

/**
 * The pinned mirror build: FROM source@digest, so what is pushed is exactly
 * what was checked. Parsed with the tenant's tag policy: a destination the
 * policy refuses throws a ValidationError (the firing is `failed`).
 */
export function mirrorBuildRequest(
  mirror: { source: string; destinations: readonly string[]; registryCredentials?: { secretName: string } | undefined },
  digest: string,
  options: { scheduleName: string; idempotencyKey: string; tagPolicy?: TagPolicy },
): BuildRequest {
  const repo = mirror.source.replace(/:[^:/]+$/, "");
  return parseBuildRequest(
    {
      apiVersion: "buildfleet.dev/v1",
      context: { type: "inline", files: {} },
      dockerfile: { inline: `FROM ${repo}@${digest}\n` },
      destinations: [...mirror.destinations],
      idempotencyKey: options.idempotencyKey,
      labels: { schedule: options.scheduleName },
      ...(mirror.registryCredentials !== undefined ? { registryCredentials: { secretName: mirror.registryCredentials.secretName } } : {}),
    },
    options.tagPolicy === undefined ? {} : { tagPolicy: options.tagPolicy },
  );
}

/** The submit idempotency key of one firing: a double fire or a crash between steps makes one build. */
export function firingKey(name: string, fireAt: Date): string {
  // Keys hold [A-Za-z0-9._-] only (no ':' — BullMQ ids, and the contract's key syntax).
  return `schedule.${name}.${fireAt.getTime()}`;
}
