// Kaniko executor simulation: recognise the container by its arguments, derive a
// deterministic image digest, and produce plausible executor log lines.
import { createHash } from "node:crypto";

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

/**
 * Kaniko's log for a run of `runMs`. The base image is the Dockerfile's first
 * FROM when known (`bases`), else a `--build-arg BASE_IMAGE=`, else a default.
 */
export function kanikoLogPlan(args: readonly string[], runMs: number, outcome: "success" | "failure" | "killed", bases: readonly string[] = []): PlannedLine[] {
  // Elapsed seconds never go backwards, even where a line claims at least one second.
  let elapsed = 0;
  const secs = (fraction: number, atLeast = 0) =>
    (elapsed = Math.max(elapsed, atLeast, (runMs / 1000) * fraction));
  const baseArg = flagValues(args, "--build-arg").find((a) => a.startsWith("BASE_IMAGE="));
  // The Dockerfile's own FROM when kubesim could read it (an inline Dockerfile's ConfigMap).
  const base = bases[0] ?? (baseArg === undefined ? "docker.io/library/alpine:3.20" : baseArg.slice("BASE_IMAGE=".length));
  const lines: PlannedLine[] = [
    { at: 0, text: `${kanikoPrefix(secs(0))} Retrieving image manifest ${base}` },
    { at: 0, text: `${kanikoPrefix(secs(0))} Retrieving image ${base} from registry` },
    { at: 0.05, text: `${kanikoPrefix(secs(0.05, 1))} Built cross stage deps: map[]` },
    { at: 0.05, text: `${kanikoPrefix(secs(0.05, 1))} Executing 0 build triggers` },
    { at: 0.1, text: `${kanikoPrefix(secs(0.1))} Building stage '${base}' [idx: '0', base-idx: '-1']` },
    { at: 0.2, text: `${kanikoPrefix(secs(0.2))} COPY . /src` },
    { at: 0.3, text: `${kanikoPrefix(secs(0.3))} RUN make build` },
    { at: 0.6, text: `${kanikoPrefix(secs(0.6))} Taking snapshot of full filesystem...` },
  ];
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
    lines.push({ at: start, text: `${kanikoPrefix(secs(start))} Pushing image to ${destination}` });
    lines.push({ at: end, text: `${kanikoPrefix(secs(end))} Pushed ${destination}@${digest}` });
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
