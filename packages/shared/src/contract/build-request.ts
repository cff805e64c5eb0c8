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
import { IMAGE_REFERENCE_EXAMPLE, formatImageReference, tryParseImageReference } from "./image-reference.js";

/**
 * The v1 BuildRequest: what a producer fills in to have an image built. Every
 * object is strict (unknown fields are errors, not silently dropped) and every
 * string and map is bounded, because these values become kaniko arguments,
 * ConfigMap entries and Kubernetes fields.
 */

export const API_VERSION = "buildfleet.dev/v1";

export const LIMITS = {
  destinations: 10,
  inlineFiles: 32,
  /** Inline files must fit one ConfigMap (1 MiB) with room to spare. */
  inlineBytes: 512 * 1024,
  inlineDockerfileBytes: 64 * 1024,
  buildArgs: 64,
  imageLabels: 64,
  labels: 16,
  urlLength: 2048,
} as const;

// ── context ──────────────────────────────────────────────────────────────────

function urlProblem(value: string, schemes: readonly string[]): string | undefined {
  if (value.length > LIMITS.urlLength) return `it is longer than ${LIMITS.urlLength} characters`;
  const control = controlProblem(value);
  if (control) return control;
  if (/\s/.test(value)) return "it contains a space";
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined || !schemes.includes(scheme)) {
    return `the scheme must be one of ${schemes.map((s) => `${s}://`).join(", ")}`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "it is not a valid URL";
  }
  if (url.hostname === "") return "it names no host";
  // Credentials in a URL would be visible in the Job spec and in logs.
  if (url.password !== "") return "it embeds a password; use a Kubernetes Secret instead";
  return undefined;
}

function gitRefProblem(value: string): string | undefined {
  if (value.length > 255) return "it is longer than 255 characters";
  const control = controlProblem(value);
  if (control) return control;
  // git check-ref-format rules, plus no leading '-' (it would read as a flag).
  if (/[\s~^:?*[\\]/.test(value)) return "it contains a space or one of ~ ^ : ? * [ \\";
  if (value.startsWith("-")) return "it starts with '-'";
  if (value.includes("..") || value.includes("@{") || value.includes("//")) return "it contains '..', '@{' or '//'";
  if (value.startsWith("/") || value.endsWith("/") || value.endsWith(".") || value.endsWith(".lock")) {
    return "it starts or ends with '/', or ends with '.' or '.lock'";
  }
  return value === "" ? "it is empty" : undefined;
}

const GitContext = z.strictObject({
  type: z.literal("git"),
  url: checkedString(
    "a git repository URL",
    (v) => urlProblem(v, ["https", "http", "git"]),
    "https://github.com/example/app.git",
  ),
  ref: checkedString("a git branch, tag or refs/… name", gitRefProblem, "refs/heads/main").optional(),
  commit: checkedString(
    "a commit id",
    (v) => (/^[0-9a-f]{40}$/.test(v) ? undefined : "expected 40 lowercase hex digits"),
    "3f786850e387550fdab836ed7e6dc881de23001b",
  ).optional(),
  subPath: checkedString("a path inside the repository", relativePathProblem, "services/api").optional(),
});

const TarballContext = z.strictObject({
  type: z.literal("tarball"),
  url: checkedString(
    "a tarball URL",
    (v) => {
      const problem = urlProblem(v, ["s3", "gs", "https"]);
      if (problem) return problem;
      // Signed https URLs carry a query string: look at the path only.
      const path = new URL(v).pathname;
      return path.endsWith(".tar.gz") || path.endsWith(".tgz") ? undefined : "it must end in .tar.gz or .tgz";
    },
    "s3://build-contexts/team/app.tar.gz",
  ),
});

const VolumeContext = z.strictObject({
  type: z.literal("volume"),
  claimName: checkedString("a PersistentVolumeClaim name", dnsSubdomainProblem, "kaniko-workspace"),
  path: checkedString("a path inside the volume", relativePathProblem, "my-build"),
});

function inlineNameProblem(name: string): string | undefined {
  const problem = relativePathProblem(name, 255);
  if (problem) return problem;
  if (name.split("/").some((s) => s === "" || s === ".")) return "use a plain relative path such as src/app.py";
  return undefined;
}

const utf8Bytes = (s: string): number => Buffer.byteLength(s, "utf8");

const InlineContext = z.strictObject({
  type: z.literal("inline"),
  files: z
    .record(
      checkedString("an inline file name", inlineNameProblem, "src/app.py"),
      z.string().check((ctx) => {
        const problem = textControlProblem(ctx.value);
        if (problem) ctx.issues.push({ code: "custom", input: ctx.value, message: `the file content: ${problem}` });
      }),
    )
    .check((ctx) => {
      const names = Object.keys(ctx.value);
      if (names.length > LIMITS.inlineFiles) {
        ctx.issues.push({
          code: "custom",
          input: ctx.value,
          message: `${names.length} inline files are more than the limit of ${LIMITS.inlineFiles}; use a tarball, git or volume context`,
        });
      }
      const bytes = names.reduce((sum, n) => sum + utf8Bytes(n) + utf8Bytes(ctx.value[n] ?? ""), 0);
      if (bytes > LIMITS.inlineBytes) {
        ctx.issues.push({
          code: "custom",
          input: ctx.value,
          message: `inline files total ${bytes} bytes, more than the limit of ${LIMITS.inlineBytes} (512 KiB); use a tarball, git or volume context`,
        });
      }
    }),
});

export const BuildContext = z.discriminatedUnion("type", [GitContext, TarballContext, VolumeContext, InlineContext]);
export type BuildContext = z.infer<typeof BuildContext>;
export const CONTEXT_TYPES = ["git", "tarball", "volume", "inline"] as const;

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
    (k) => (/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(k) ? undefined : "a name starts with a letter or _ and holds at most 128 letters, digits and _"),
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

export const PRIORITIES = ["interactive", "normal", "bulk"] as const;
export const Priority = z.enum(PRIORITIES);
export type Priority = z.infer<typeof Priority>;

/**
 * BullMQ priority (lower runs sooner). Every build gets a non-zero priority so
 * they all live in BullMQ's one prioritized set: un-prioritized (0) jobs would
 * otherwise jump ahead of all of them.
 */
export function priorityValue(priority: Priority): number {
  switch (priority) {
    case "interactive":
      return 1;
    case "normal":
      return 10;
    case "bulk":
      return 100;
  }
}

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
