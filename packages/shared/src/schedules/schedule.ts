import { z } from "zod";
import {
  API_VERSION,
  BuildRequest,
  formatImageReference,
  toFieldIssues,
  tryParseImageReference,
  validateBuildRequest,
  type FieldIssue,
  type ValidateOptions,
} from "../contract/index.js";
import { imageNameProblem } from "@buildfleet/contract";
import { ValidationError, summariseIssues } from "../errors/index.js";
import { DEFAULT_TIME_ZONE, cronProblem, timeZoneProblem } from "./cron.js";

/**
 * A `Schedule`: a cron-driven build owned by a tenant.
 *
 *   apiVersion: buildfleet.dev/v1
 *   kind: Schedule
 *   metadata: { name: busybox-mirror }
 *   spec:
 *     cron: "0 * * * *"
 *     timeZone: Europe/Berlin
 *     target: { mirror: { source: docker.io/library/busybox:latest, destinations: [registry.internal:5000/mirror/busybox:latest] } }
 *     skipIfUnchanged: true
 *     concurrencyPolicy: Forbid
 *     startingDeadlineSeconds: 300
 *     suspend: false
 *
 * Strict: an unknown field, a bad cron expression, an unknown time zone, a
 * mirror source that is not a tag reference or a target of more than one kind
 * is refused with an issue naming the field.
 */

export const SCHEDULE_KIND = "Schedule";
export const CONCURRENCY_POLICIES = ["Forbid", "Replace", "Allow"] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];
export const DEFAULT_STARTING_DEADLINE_SECONDS = 300;
export const MAX_MIRROR_DESTINATIONS = 8;

const custom = (message: string, input: unknown, example?: string) =>
  example === undefined ? { code: "custom" as const, input, message } : { code: "custom" as const, input, message, params: { example } };

const ScheduleName = z.string().check((ctx) => {
  const problem = imageNameProblem(ctx.value);
  if (problem) ctx.issues.push(custom(`${JSON.stringify(ctx.value)} is not a schedule name: ${problem}`, ctx.value, "busybox-mirror"));
});

const Cron = z.string().check((ctx) => {
  const problem = cronProblem(ctx.value);
  if (problem) ctx.issues.push(custom(`${JSON.stringify(ctx.value)} is not a cron expression: ${problem}`, ctx.value, "0 * * * *"));
});

const TimeZone = z.string().check((ctx) => {
  const problem = timeZoneProblem(ctx.value);
  if (problem) ctx.issues.push(custom(problem, ctx.value, "Europe/Berlin"));
});

/** A mirror source must name a tag: a digest never changes, so there is nothing to watch. */
const MirrorSource = z.string().check((ctx) => {
  const parsed = tryParseImageReference(ctx.value);
  if (!parsed.ok) ctx.issues.push(custom(`${JSON.stringify(ctx.value)} is not a valid image reference: ${parsed.problem}`, ctx.value, "docker.io/library/busybox:latest"));
  else if (parsed.value.digest !== undefined || parsed.value.tag === undefined) {
    ctx.issues.push(custom(`${JSON.stringify(ctx.value)} is not a tag reference: a mirror watches a tag (name:tag), not a digest`, ctx.value, "docker.io/library/busybox:latest"));
  }
});

const Destination = z.string().check((ctx) => {
  const parsed = tryParseImageReference(ctx.value);
  if (!parsed.ok) ctx.issues.push(custom(`${JSON.stringify(ctx.value)} is not a valid image reference: ${parsed.problem}`, ctx.value, "registry.internal:5000/mirror/busybox:latest"));
  else if (parsed.value.digest !== undefined) ctx.issues.push(custom(`${JSON.stringify(ctx.value)} names a digest: a destination is pushed to a tag`, ctx.value));
});

const Mirror = z.strictObject({
  source: MirrorSource,
  destinations: z.array(Destination).min(1, { error: "at least one destination" }).max(MAX_MIRROR_DESTINATIONS, { error: `at most ${MAX_MIRROR_DESTINATIONS} destinations` }),
  /**
   * A kubernetes.io/dockerconfigjson Secret in the build namespace: its entry for the
   * source registry answers the HEAD's challenge, and the mirror build mounts it (pull
   * and push). Absent: anonymous.
   */
  registryCredentials: BuildRequest.shape.registryCredentials,
});

function envelope<B extends z.ZodType>(build: B) {
  const Target = z
    .strictObject({ mirror: Mirror.optional(), image: ScheduleName.optional(), build: build.optional() })
    .check((ctx) => {
      const kinds = (["mirror", "image", "build"] as const).filter((k) => ctx.value[k] !== undefined);
      if (kinds.length !== 1) {
        ctx.issues.push(
          custom(kinds.length === 0 ? "set one of mirror, image or build" : `set one of mirror, image or build, not ${kinds.join(" and ")}`, ctx.value, "{ mirror: { source, destinations } }"),
        );
      }
    });
  return z.strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(SCHEDULE_KIND),
    metadata: z.strictObject({ name: ScheduleName, labels: BuildRequest.shape.labels }),
    spec: z.strictObject({
      cron: Cron,
      timeZone: TimeZone.default(DEFAULT_TIME_ZONE),
      target: Target,
      skipIfUnchanged: z.boolean().default(true),
      cascade: z.boolean().default(false),
      concurrencyPolicy: z.enum(CONCURRENCY_POLICIES, { error: "expected Forbid, Replace or Allow" }).default("Forbid"),
      startingDeadlineSeconds: z
        .number()
        .int({ error: "expected a whole number of seconds" })
        .min(1, { error: "expected 1 to 86400 seconds" })
        .max(86_400, { error: "expected 1 to 86400 seconds" })
        .default(DEFAULT_STARTING_DEADLINE_SECONDS),
      suspend: z.boolean().default(false),
    }),
  });
}

export const Schedule = envelope(BuildRequest);
export type Schedule = z.infer<typeof Schedule>;
export type ScheduleInput = z.input<typeof Schedule>;
export type ScheduleTarget = Schedule["spec"]["target"];

export type ScheduleValidation = { ok: true; value: Schedule } | { ok: false; issues: FieldIssue[] };

function valueAt(input: unknown, path: readonly string[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Validates an untrusted Schedule document; never throws. A build target is checked as a v1 BuildRequest. */
export function validateSchedule(input: unknown, options: ValidateOptions = {}): ScheduleValidation {
  const outer = envelope(z.unknown()).safeParse(input);
  const issues = outer.success ? [] : toFieldIssues(outer.error.issues, input);
  const rawBuild = valueAt(input, ["spec", "target", "build"]);
  let build: BuildRequest | undefined;
  if (rawBuild !== undefined) {
    const inner = validateBuildRequest(rawBuild, options);
    if (inner.ok) build = inner.value;
    else issues.push(...inner.issues.map((i) => ({ ...i, path: i.path === "" ? "spec.target.build" : i.path.startsWith("[") ? `spec.target.build${i.path}` : `spec.target.build.${i.path}` })));
  }
  if (issues.length > 0 || !outer.success) return { ok: false, issues };
  const { build: _unchecked, ...rest } = outer.data.spec.target;
  const target = build !== undefined ? { ...rest, build } : rest;
  return { ok: true, value: { ...outer.data, spec: { ...outer.data.spec, target } } };
}

/** Validates an untrusted Schedule or throws a ValidationError carrying every issue. */
export function parseSchedule(input: unknown, options: ValidateOptions = {}): Schedule {
  const result = validateSchedule(input, options);
  if (!result.ok) throw new ValidationError(result.issues, summariseIssues(result.issues, "invalid schedule"));
  return result.value;
}

/** `registry/repository:tag` of a mirror source, normalised (docker.io/library/… for Hub names). */
export function normalisedSource(source: string): string {
  const parsed = tryParseImageReference(source);
  return parsed.ok ? formatImageReference(parsed.value) : source;
}
