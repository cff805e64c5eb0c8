// Kaniko executor simulation: recognise the container by its arguments, derive a
// deterministic image digest, and produce plausible executor log lines.
import { createHash } from "node:crypto";
import type { DockerfileStage } from "./dockerfile.js";

const TERMINATION_LOG = "/dev/termination-log";

/** Value(s) of a `--flag=value` / `--flag value` option, in order. */
export function flagValues(args: readonly string[], flag: string, short?: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg.startsWith(`${flag}=`)) out.push(arg.slice(flag.length + 1));
    else if ((arg === flag || (short !== undefined && arg === short)) && i + 1 < args.length) {
      out.push(args[i + 1] ?? "");
      i++;
    }
  }
  return out;
}

/** A container is treated as the Kaniko executor when it writes its digest to the termination log. */
export function isKanikoDigestContainer(args: readonly string[]): boolean {
  return flagValues(args, "--digest-file").includes(TERMINATION_LOG);
}

/**
 * A container is simulated as the Kaniko executor (Kaniko log lines) when it runs
 * the executor image or passes the executor's build flags; the digest is only
 * written to the termination message when `isKanikoDigestContainer` says so.
 */
export function isKanikoContainer(image: string, args: readonly string[]): boolean {
  if (/(^|\/)kaniko-project\/executor([:@]|$)/.test(image) || /(^|\/)kaniko\/executor([:@]|$)/.test(image)) return true;
  return isKanikoDigestContainer(args) || (flagValues(args, "--context", "-c").length > 0 && kanikoDestinations(args).length > 0);
}

export function kanikoDestinations(args: readonly string[]): string[] {
  return flagValues(args, "--destination", "-d");
}

/**
 * The digest kubesim's Kaniko writes to its termination message:
 * `sha256:` + hex sha256 of `JSON.stringify({ destinations, args })`. Exported so
 * tests compute the value they expect instead of hard-coding it.
 */
export function kanikoDigest(args: readonly string[]): string {
  const destinations = kanikoDestinations(args);
  const hex = createHash("sha256")
    .update(JSON.stringify({ destinations, args: [...args] }))
    .digest("hex");
  return `sha256:${hex}`;
}

/** A log line scheduled at a fraction (0..1) of the container's run time. */
export interface PlannedLine {
  at: number;
  text: string;
}

function kanikoPrefix(seconds: number): string {
  return `INFO[${String(Math.max(0, Math.floor(seconds))).padStart(4, "0")}]`;
}

/** The registry Kaniko names when it pulls `image`: its host, or Docker Hub's index. */
function registryOf(image: string): string {
  const first = image.split("/")[0] ?? "";
  return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") ? first : "index.docker.io";
}

/** Instructions Kaniko snapshots after: the whole filesystem after RUN, the copied files after COPY/ADD. */
function snapshotAfter(instruction: string): string | undefined {
  const keyword = (/^\S+/.exec(instruction)?.[0] ?? "").toUpperCase();
  if (keyword === "RUN") return "Taking snapshot of full filesystem...";
  if (keyword === "COPY" || keyword === "ADD") return "Taking snapshot of files...";
  return undefined;
}

/** `COPY --from=<stage>` sources per earlier stage index, as Kaniko prints its cross-stage deps. */
function crossStageDeps(stages: readonly DockerfileStage[]): string {
  const deps = new Map<number, string[]>();
  for (const stage of stages) {
    for (const instruction of stage.instructions) {
      const copy = /^COPY\s+(?:--\S+\s+)*?--from=(\S+)\s+(?:--\S+\s+)*(.+)$/i.exec(instruction);
      if (!copy) continue;
      const ref = (copy[1] ?? "").toLowerCase();
      const idx = /^\d+$/.test(ref) ? Number(ref) : stages.findIndex((s) => s.name === ref);
      if (idx < 0) continue;
      const paths = (copy[2] ?? "").split(" ").slice(0, -1);
      deps.set(idx, [...(deps.get(idx) ?? []), ...paths]);
    }
  }
  return `map[${[...deps].sort(([a], [b]) => a - b).map(([i, paths]) => `${i}:[${paths.join(" ")}]`).join(" ")}]`;
}

/**
 * Kaniko's log for a run of `runMs`. With the Dockerfile's stages (kubesim
 * could read it: an inline Dockerfile's ConfigMap) it names the real FROMs
 * and prints each stage's own instructions; without them only the steps
 * Kaniko always prints, never an invented base or instruction.
 */
export function kanikoLogPlan(args: readonly string[], runMs: number, outcome: "success" | "failure" | "killed", stages: readonly DockerfileStage[] = []): PlannedLine[] {
  // Elapsed seconds never go backwards, even where a line claims at least one second.
  let elapsed = 0;
  const secs = (fraction: number, atLeast = 0) => (elapsed = Math.max(elapsed, atLeast, (runMs / 1000) * fraction));
  const lines: PlannedLine[] = [];
  const line = (at: number, text: string, atLeast = 0) => lines.push({ at, text: `${kanikoPrefix(secs(at, atLeast))} ${text}` });
  const pulled = [...new Set(stages.filter((st) => st.baseIndex === -1 && st.base !== "scratch").map((st) => st.base))];
  for (const base of pulled) {
    line(0, `Retrieving image manifest ${base}`);
    line(0, `Retrieving image ${base} from registry ${registryOf(base)}`);
  }
  line(0, `Built cross stage deps: ${crossStageDeps(stages)}`);
  if (stages.length === 0) line(0.05, "Executing 0 build triggers", 1);
  // The build steps share 0.1–0.75 of the run; a failure ends at the last RUN (what fails in a build).
  const steps: { text: string; run?: boolean }[] = [];
  stages.forEach((stage, idx) => {
    if (idx > 0) steps.push({ text: "Deleting filesystem..." });
    if (stage.baseIndex === -1 && stage.base !== "scratch") steps.push({ text: `Retrieving image manifest ${stage.base}` }, { text: "Returning cached image manifest" });
    steps.push({ text: "Executing 0 build triggers" }, { text: `Building stage '${stage.base}' [idx: '${idx}', base-idx: '${stage.baseIndex}']` });
    if (stage.base === "scratch") steps.push({ text: "No base image, nothing to extract" });
    for (const instruction of stage.instructions) {
      steps.push({ text: instruction, run: /^RUN\s/i.test(instruction) });
      const snapshot = snapshotAfter(instruction);
      if (snapshot !== undefined) steps.push({ text: snapshot });
    }
  });
  const lastRun = steps.findLastIndex((st) => st.run === true);
  const shown = outcome === "failure" && lastRun >= 0 ? steps.slice(0, lastRun + 1) : steps;
  shown.forEach((step, i) => line(0.1 + (0.65 * i) / Math.max(1, shown.length), step.text));
  if (outcome === "killed") return lines;
  if (outcome === "failure") {
    lines.push({
      at: 1,
      text: `error building image: error building stage: failed to execute command: waiting for process to exit: exit status 1`,
    });
    return lines;
  }
  const digest = kanikoDigest(args);
  // Destinations are pushed one after the other, in the last fifth of the run.
  const destinations = kanikoDestinations(args);
  destinations.forEach((destination, i) => {
    const start = 0.8 + (0.2 * i) / destinations.length;
    const end = 0.8 + (0.2 * (i + 1)) / destinations.length;
    line(start, `Pushing image to ${destination}`);
    line(end, `Pushed ${destination}@${digest}`);
  });
  return lines;
}

/** Log lines of any other container: a start line and, when it ends, how. */
export function genericLogPlan(container: string, image: string, exitCode: number | undefined): PlannedLine[] {
  const lines: PlannedLine[] = [{ at: 0, text: `starting ${container} (${image})` }];
  lines.push({ at: 0.5, text: `${container}: working` });
  if (exitCode !== undefined) lines.push({ at: 1, text: `${container}: exiting with code ${exitCode}` });
  return lines;
}
