import { z } from "zod";
import {
  checkedString,
  controlProblem,
  dnsSubdomainProblem,
  issue,
  labelKeyProblem,
  labelValueProblem,
  quantityProblem,
  quantityValue,
  quote,
  relativePathProblem,
  textControlProblem,
} from "./checks.js";
import { BuildContext, CONTEXT_FIELDS, utf8Bytes } from "./context.js";
import { IMAGE_REFERENCE_EXAMPLE, formatImageReference, tryParseImageReference } from "./image-reference.js";
import { LIMITS } from "./limits.js";
import { Priority } from "./priority.js";

/**
 * The v1 BuildRequest: what a producer fills in to have an image built. Every
 * object is strict (unknown fields are errors, not silently dropped) and every
 * string and map is bounded, because these values become kaniko arguments,
 * ConfigMap entries and Kubernetes fields.
 */

export const API_VERSION = "buildfleet.dev/v1";

// ── dockerfile ───────────────────────────────────────────────────────────────

/**
 * `{ path }` or `{ inline }`. One strict object checked for "exactly one"
 * (rather than a zod union) so that errors name the field, then narrowed to
 * the union type for callers.
 */
export const Dockerfile = z
  .strictObject({
    path: checkedString("a Dockerfile path inside the context", relativePathProblem, "Dockerfile").optional(),
    inline: z
      .string()
      .check((ctx) => {
        const problem =
          ctx.value.trim() === ""
            ? "it is empty"
            : utf8Bytes(ctx.value) > LIMITS.inlineDockerfileBytes
              ? `it is larger than ${LIMITS.inlineDockerfileBytes / 1024} KiB`
              : textControlProblem(ctx.value);
        if (problem) {
          ctx.issues.push({
            code: "custom",
            input: ctx.value,
            message: `the inline Dockerfile is not usable: ${problem}`,
            params: { example: "FROM busybox:latest" },
          });
        }
      })
      .optional(),
  })
  .check((ctx) => {
    const has = (ctx.value.path !== undefined ? 1 : 0) + (ctx.value.inline !== undefined ? 1 : 0);
    if (has !== 1) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: has === 0 ? "set path or inline" : "set path or inline, not both",
        params: { example: '{ "path": "Dockerfile" } or { "inline": "FROM busybox:latest" }' },
      });
    }
  })
  .transform((d): { path: string } | { inline: string } =>
    d.inline !== undefined ? { inline: d.inline } : { path: d.path ?? "Dockerfile" },
  );
export type Dockerfile = z.infer<typeof Dockerfile>;

// ── destinations ─────────────────────────────────────────────────────────────

function destinationProblem(value: string): string | undefined {
  const parsed = tryParseImageReference(value);
  if (!parsed.ok) return `${quote(value)} is not a valid image reference: ${parsed.problem}`;
  if (parsed.value.digest !== undefined) {
    return `${quote(value)} carries a digest; a destination names the tag to push, and the digest is reported after the push`;
  }
  if (parsed.value.tag === undefined) return `${quote(value)} has no tag; name the tag to push`;
  return undefined;
}

const Destination = z.string().check((ctx) => {
  const problem = destinationProblem(ctx.value);
  if (problem) {
    ctx.issues.push({ code: "custom", input: ctx.value, message: problem, params: { example: IMAGE_REFERENCE_EXAMPLE } });
  }
});

const Destinations = z
  .array(Destination)
  .min(1, { error: "at least one destination is required" })
  .max(LIMITS.destinations, { error: `at most ${LIMITS.destinations} destinations are allowed` })
  .check((ctx) => {
    const seen = new Map<string, number>();
    ctx.value.forEach((d, i) => {
      const parsed = tryParseImageReference(d);
      if (!parsed.ok) return;
      // Compare canonical forms: "busybox:1" and "docker.io/library/busybox:1" are the same push.
      const key = formatImageReference(parsed.value);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else ctx.issues.push({ ...issue(`${quote(d)} is listed twice (also destinations[${first}])`, [i]), input: d });
    });
  });

// ── maps, cache, credentials, resources ──────────────────────────────────────

function boundedRecord(key: z.ZodString, value: z.ZodType<string>, max: number, what: string) {
  return z.record(key, value).check((ctx) => {
    const n = Object.keys(ctx.value).length;
    if (n > max) ctx.issues.push({ code: "custom", input: ctx.value, message: `${n} ${what} are more than the limit of ${max}` });
  });
}

const BuildArgs = boundedRecord(
  // Identifiers only: a key like "--insecure" must never become a kaniko flag.
  checkedString(
    "a build-arg name",
    (k) =>
      /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(k)
        ? undefined
        : "a name starts with a letter or _ and holds at most 128 letters, digits and _",
    "APP_VERSION",
  ),
  // Values may hold '=' and spaces (kaniko gets --build-arg=KEY=VALUE as one argv entry), not newlines.
  checkedString("a build-arg value", (v) => (v.length > 4096 ? "it is longer than 4096 characters" : controlProblem(v)), "1.2.3"),
  LIMITS.buildArgs,
  "build args",
);

const ImageLabels = boundedRecord(
  checkedString(
    "an image label key",
    (k) =>
      /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/.test(k)
        ? undefined
        : "a key starts with a letter or digit and holds at most 128 letters, digits, '.', '_', '-' or '/'",
    "org.opencontainers.image.source",
  ),
  checkedString("an image label value", (v) => (v.length > 1024 ? "it is longer than 1024 characters" : controlProblem(v)), "https://github.com/example/app"),
  LIMITS.imageLabels,
  "image labels",
);

const Labels = boundedRecord(
  checkedString(
    "a label key",
    (k) =>
      // buildfleet.dev/ labels are set by buildfleet on Jobs and Pods; a caller must not forge them.
      k.startsWith("buildfleet.dev/") ? "the buildfleet.dev/ prefix is reserved for buildfleet" : labelKeyProblem(k),
    "team",
  ),
  checkedString("a label value", labelValueProblem, "payments"),
  LIMITS.labels,
  "labels",
);

function repositoryProblem(value: string): string | undefined {
  const parsed = tryParseImageReference(value);
  if (!parsed.ok) return parsed.problem;
  if (parsed.value.tag !== undefined || parsed.value.digest !== undefined) {
    return "a cache repository has no tag or digest";
  }
  return undefined;
}

const Cache = z.strictObject({
  enabled: z.boolean().default(false),
  repository: checkedString("an image repository", repositoryProblem, "registry.example.com/team/cache").optional(),
  ttl: checkedString(
    "a duration",
    (v) => (/^(?:[0-9]{1,5}[hms]){1,3}$/.test(v) ? undefined : "expected a number of hours, minutes or seconds such as 24h or 1h30m"),
    "24h",
  ).optional(),
});

const RegistryCredentials = z.strictObject({
  secretName: checkedString("a Kubernetes Secret name", dnsSubdomainProblem, "regcred"),
});

const quantity = (example: string) => checkedString("a Kubernetes quantity", quantityProblem, example).optional();
const ResourceList = z.strictObject({ cpu: quantity("250m"), memory: quantity("512Mi") });
const Resources = z
  .strictObject({ requests: ResourceList.optional(), limits: ResourceList.optional() })
  .check((ctx) => {
    for (const kind of ["cpu", "memory"] as const) {
      const request = ctx.value.requests?.[kind];
      const limit = ctx.value.limits?.[kind];
      if (request === undefined || limit === undefined) continue;
      if (quantityValue(request) > quantityValue(limit)) {
        ctx.issues.push({
          ...issue(`the request ${quote(request)} is larger than the limit ${quote(limit)}`, ["requests", kind], limit),
          input: request,
        });
      }
    }
  });

const wholeNumber = (min: number, max: number) =>
  z
    .number()
    .int()
    .min(min, { error: (iss) => `expected a whole number from ${min} to ${max}, got ${String(iss.input)}` })
    .max(max, { error: (iss) => `expected a whole number from ${min} to ${max}, got ${String(iss.input)}` });

const Timeouts = z.strictObject({
  /** Kaniko Job activeDeadlineSeconds. */
  runSeconds: wholeNumber(60, 86_400).default(3600),
  /** Give up if no build pod has started this long after submission. */
  queueSeconds: wholeNumber(10, 86_400).default(1800),
});

// ── the request ──────────────────────────────────────────────────────────────

export const BuildRequest = z
  .strictObject({
    apiVersion: z.literal(API_VERSION).default(API_VERSION),
    context: BuildContext,
    dockerfile: Dockerfile.default({ path: "Dockerfile" }),
    target: checkedString(
      "a build stage name",
      (v) => (/^[A-Za-z][A-Za-z0-9_.-]{0,127}$/.test(v) ? undefined : "a stage name starts with a letter and holds at most 128 letters, digits, '_', '.' or '-'"),
      "runtime",
    ).optional(),
    destinations: Destinations,
    buildArgs: BuildArgs.optional(),
    imageLabels: ImageLabels.optional(),
    cache: Cache.optional(),
    registryCredentials: RegistryCredentials.optional(),
    resources: Resources.optional(),
    timeouts: Timeouts.prefault({}),
    retries: wholeNumber(0, 10).default(2),
    priority: Priority.default("normal"),
    idempotencyKey: checkedString(
      "an idempotency key",
      (v) => (/^[A-Za-z0-9._-]{1,128}$/.test(v) ? undefined : "a key holds 1 to 128 letters, digits, '.', '_' or '-'"),
      "release-2024-06-01.1",
    ).optional(),
    labels: Labels.optional(),
  })
  .check((ctx) => {
    const { context, dockerfile } = ctx.value;
    // An inline build has no other files: a Dockerfile path must name one of them.
    if (context.type === "inline" && "path" in dockerfile && !Object.hasOwn(context.files, dockerfile.path)) {
      const names = Object.keys(context.files);
      const have = names.length === 0 ? "there are none" : `there are ${names.slice(0, 5).map((n) => quote(n)).join(", ")}`;
      ctx.issues.push({
        ...issue(
          `${quote(dockerfile.path)} is not one of the inline files (${have}); add it to context.files or use dockerfile.inline`,
          ["dockerfile", "path"],
          '{ "inline": "FROM busybox:latest" }',
        ),
        input: dockerfile.path,
      });
    }
  });

/** A validated request with defaults applied. */
export type BuildRequest = z.infer<typeof BuildRequest>;
/** What a producer may send (defaults not yet applied). */
export type BuildRequestInput = z.input<typeof BuildRequest>;

/** Field names per object path, for "did you mean" suggestions on unknown fields. */
export const KNOWN_FIELDS: Readonly<Record<string, readonly string[]>> = {
  "": Object.keys(BuildRequest.shape),
  context: CONTEXT_FIELDS,
  dockerfile: ["path", "inline"],
  cache: Object.keys(Cache.shape),
  registryCredentials: Object.keys(RegistryCredentials.shape),
  resources: Object.keys(Resources.shape),
  "resources.requests": Object.keys(ResourceList.shape),
  "resources.limits": Object.keys(ResourceList.shape),
  timeouts: Object.keys(Timeouts.shape),
};
