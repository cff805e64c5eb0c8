// Pure decisions about one simulated container run: how long it runs, how it
// ends, what it logs, whether it restarts, and the IDs the kubelet reports.
import { createHash } from "node:crypto";
import type { Outcome } from "../scenario/rules.js";
import type { DockerfileStage } from "./dockerfile.js";
import type { PlannedLine } from "./kaniko.js";
import { genericLogPlan, isKanikoContainer, isKanikoDigestContainer, kanikoDigest, kanikoLogPlan } from "./kaniko.js";
import type { ContainerState } from "./pod-status.js";

/** Kubelet restart back-off: 10 s doubling, capped at 5 minutes. */
const CRASH_LOOP_BASE_MS = 10_000;
const CRASH_LOOP_MAX_MS = 300_000;

export function crashLoopDelayMs(restarts: number): number {
  return Math.min(CRASH_LOOP_MAX_MS, CRASH_LOOP_BASE_MS * 2 ** Math.min(Math.max(restarts - 1, 0), 20));
}

export function shouldRestart(restartPolicy: string, exitCode: number): boolean {
  return restartPolicy === "Always" || (restartPolicy === "OnFailure" && exitCode !== 0);
}

/** `docker.io/library/alpine@sha256:…` style imageID for an image reference. */
export function imageIdFor(image: string): string {
  const withoutDigest = image.split("@")[0] ?? image;
  const repo = withoutDigest.replace(/:[^/:]+$/, "");
  const registry = repo.split("/")[0] ?? "";
  const qualified = !repo.includes("/")
    ? `docker.io/library/${repo}`
    : registry.includes(".") || registry.includes(":") || registry === "localhost"
      ? repo
      : `docker.io/${repo}`;
  return `${qualified}@sha256:${createHash("sha256").update(image).digest("hex")}`;
}

/** Simulated run time; undefined for outcomes that never end by themselves (hang). */
export function runMsOf(outcome: Outcome, defaultRunMs: number): number | undefined {
  if ("succeed" in outcome) return outcome.succeed.afterMs ?? defaultRunMs;
  if ("exit" in outcome) return outcome.exit.afterMs ?? defaultRunMs;
  if ("oomKilled" in outcome) return outcome.oomKilled.afterMs ?? defaultRunMs;
  if ("evict" in outcome) return outcome.evict.afterMs ?? defaultRunMs;
  return undefined;
}

/** Exit code the container ends with by itself; undefined when it is killed or never ends. */
function exitCodeOf(outcome: Outcome): number | undefined {
  if ("succeed" in outcome) return 0;
  if ("exit" in outcome) return outcome.exit.code;
  if ("oomKilled" in outcome) return 137;
  return undefined;
}

export function logPlanFor(image: string, name: string, args: readonly string[], outcome: Outcome, runMs: number, stages: readonly DockerfileStage[] = []): PlannedLine[] {
  const code = exitCodeOf(outcome);
  if (isKanikoContainer(image, args)) {
    const how = code === 0 ? "success" : code === undefined || "oomKilled" in outcome ? "killed" : "failure";
    return kanikoLogPlan(args, runMs, how, stages);
  }
  return genericLogPlan(name, image, "oomKilled" in outcome ? undefined : code);
}

/**
 * How a container that ran to its end terminates. Kaniko given
 * `--digest-file=/dev/termination-log` leaves the image digest as its message.
 */
export function terminatedState(outcome: Outcome, args: readonly string[], startedAt: Date, finishedAt: Date): ContainerState {
  if ("oomKilled" in outcome) return { kind: "terminated", exitCode: 137, reason: "OOMKilled", startedAt, finishedAt };
  const code = exitCodeOf(outcome) ?? 0;
  const message =
    "exit" in outcome && outcome.exit.message !== undefined
      ? outcome.exit.message
      : code === 0 && isKanikoDigestContainer(args)
        ? kanikoDigest(args)
        : undefined;
  return {
    kind: "terminated",
    exitCode: code,
    reason: code === 0 ? "Completed" : "Error",
    ...(message === undefined ? {} : { message }),
    startedAt,
    finishedAt,
  };
}

/** The kubelet's bound on a log-tail termination message: the last 80 lines, at most 2048 bytes. */
const FALLBACK_MAX_LINES = 80;
const FALLBACK_MAX_BYTES = 2048;

/**
 * terminationMessagePolicy FallbackToLogsOnError: a container that failed
 * without writing its termination message gets the tail of its log instead.
 */
export function withLogFallback(state: ContainerState, logLines: readonly string[]): ContainerState {
  if (state.kind !== "terminated" || state.exitCode === 0 || (state.message !== undefined && state.message !== "")) return state;
  let text = logLines.slice(-FALLBACK_MAX_LINES).join("\n");
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length > FALLBACK_MAX_BYTES) text = bytes.subarray(bytes.length - FALLBACK_MAX_BYTES).toString("utf8");
  return text === "" ? state : { ...state, message: text };
}
