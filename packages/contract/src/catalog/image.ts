import { z } from "zod";
import { API_VERSION, BuildRequest } from "../build-request.js";
import { formatPath } from "../field-issues.js";
import { formatImageReference, tryParseImageReference } from "../image-reference.js";
import { validateBuildRequest } from "../validate.js";
import type { ValidateOptions } from "../validate.js";
import { ValidationError, summariseIssues } from "../errors/index.js";
import type { FieldIssue } from "../errors/index.js";

/**
 * An `Image`: a named build request kept in the catalog, owned by a tenant,
 * that rebuild waves build again when one of its bases changes.
 *
 *   apiVersion: buildfleet.dev/v1
 *   kind: Image
 *   metadata: { name: python-runtime, labels: { team: platform } }
 *   spec:
 *     build: { …a v1 BuildRequest… }
 *     bases: [registry.internal:5000/base/debian:v1]   # only when the Dockerfile cannot be read
 *     rebuild: { onBaseChange: true, settleSeconds: 120 }
 *
 * Strict like the BuildRequest: an unknown field is an error naming it.
 */

export const IMAGE_KIND = "Image";
export const IMAGE_NAME_EXAMPLE = "python-runtime";
/** Bases a Dockerfile nobody can read may declare; a real one has a handful. */
export const MAX_DECLARED_BASES = 16;
export const MAX_SETTLE_SECONDS = 86_400;
export const DEFAULT_SETTLE_SECONDS = 120;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Image names become parts of Kubernetes label values and Redis keys: a DNS-1123 label. */
export function imageNameProblem(name: string): string | undefined {
  if (name === "") return "it is empty";
  if (name.length > 63) return "it is longer than 63 characters";
  if (!DNS1123_LABEL.test(name)) return "a name holds lowercase letters, digits and '-', starting and ending with a letter or digit";
  return undefined;
}

const custom = (message: string, input: unknown, example?: string) =>
  example === undefined
    ? { code: "custom" as const, input, message }
    : { code: "custom" as const, input, message, params: { example } };

const ImageName = z.string().check((ctx) => {
  const problem = imageNameProblem(ctx.value);
  if (problem) ctx.issues.push(custom(`${JSON.stringify(ctx.value)} is not an image name: ${problem}`, ctx.value, IMAGE_NAME_EXAMPLE));
});

const BaseReference = z.string().check((ctx) => {
  const parsed = tryParseImageReference(ctx.value);
  if (!parsed.ok) {
    ctx.issues.push(custom(`${JSON.stringify(ctx.value)} is not a valid image reference: ${parsed.problem}`, ctx.value, "registry.internal:5000/base/debian:v1.0.0"));
  }
});

const Bases = z
  .array(BaseReference)
  .max(MAX_DECLARED_BASES, { error: `at most ${MAX_DECLARED_BASES} bases may be declared` })
  .check((ctx) => {
    const seen = new Map<string, number>();
    ctx.value.forEach((b, i) => {
      const parsed = tryParseImageReference(b);
      if (!parsed.ok) return;
      const key = formatImageReference(parsed.value);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else ctx.issues.push({ ...custom(`${JSON.stringify(b)} is listed twice (also bases[${first}])`, b), path: [i] });
    });
  });

const Rebuild = z.strictObject({
  /** Opt in to automatic waves: rebuild when a base built by buildfleet gets a new digest. */
  onBaseChange: z.boolean().default(false),
  /** Wait this long after a base change so that further changes fold into one wave. */
  settleSeconds: z
    .number()
    .int({ error: "expected a whole number of seconds" })
    .min(0, { error: `expected 0 to ${MAX_SETTLE_SECONDS} seconds` })
    .max(MAX_SETTLE_SECONDS, { error: `expected 0 to ${MAX_SETTLE_SECONDS} seconds` })
    .default(DEFAULT_SETTLE_SECONDS),
});

const Metadata = z.strictObject({
  name: ImageName,
  // The same rules as a build request's labels (Kubernetes syntax, buildfleet.dev/ reserved, bounded).
  labels: BuildRequest.shape.labels,
});

function envelope<B extends z.ZodType>(build: B) {
  return z.strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(IMAGE_KIND),
    metadata: Metadata,
    spec: z.strictObject({ build, bases: Bases.optional(), rebuild: Rebuild.optional() }),
  });
}

/** A validated Image (defaults of its build request applied). */
export const Image = envelope(BuildRequest);
export type Image = z.infer<typeof Image>;
export type ImageInput = z.input<typeof Image>;

/** The Dockerfile text buildfleet can read: inline, or a file of an inline context. */
export function readableDockerfile(build: BuildRequest): { text: string; at: { inline: true } | { file: string } } | undefined {
  if ("inline" in build.dockerfile) return { text: build.dockerfile.inline, at: { inline: true } };
  if (build.context.type !== "inline") return undefined;
  const path = build.dockerfile.path;
  return Object.hasOwn(build.context.files, path) ? { text: build.context.files[path] ?? "", at: { file: path } } : undefined;
}

const KNOWN: Readonly<Record<string, readonly string[]>> = {
  "": ["apiVersion", "kind", "metadata", "spec"],
  metadata: ["name", "labels"],
  spec: ["build", "bases", "rebuild"],
  "spec.rebuild": ["onBaseChange", "settleSeconds"],
};
const EXAMPLES: Readonly<Record<string, string>> = {
  apiVersion: API_VERSION,
  kind: IMAGE_KIND,
  metadata: `{ "name": "${IMAGE_NAME_EXAMPLE}" }`,
  "metadata.name": IMAGE_NAME_EXAMPLE,
  spec: '{ "build": { … } }',
  "spec.rebuild": '{ "onBaseChange": true, "settleSeconds": 120 }',
};

function fieldIssues(issues: readonly z.core.$ZodIssue[], input: unknown): FieldIssue[] {
  return issues.flatMap((issue): FieldIssue[] => {
    const path = formatPath(issue.path);
    const at = (where: string, message: string, example?: string): FieldIssue =>
      example === undefined ? { path: where, message } : { path: where, message, example };
    const params = "params" in issue ? (issue.params as { example?: unknown } | undefined) : undefined;
    const example = typeof params?.example === "string" ? params.example : EXAMPLES[path];
    switch (issue.code) {
      case "unrecognized_keys":
        return issue.keys.map((key) => {
          const known = KNOWN[path] ?? [];
          const close = known.find((k) => k.toLowerCase() === key.toLowerCase());
          const hint = close ? ` (did you mean "${close}"?)` : known.length > 0 ? ` (known fields: ${known.join(", ")})` : "";
          return at(formatPath([...issue.path, key]), `unknown field "${key}"${hint}`);
        });
      case "invalid_type":
        return [at(path, valueAt(input, issue.path) === undefined ? "required" : `expected ${issue.expected}`, example)];
      case "invalid_value":
        return [at(path, `expected ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}, got ${JSON.stringify(valueAt(input, issue.path)) ?? "nothing"}`, example)];
      case "invalid_key":
        // The key itself is wrong: its own check says why.
        return [at(path, issue.issues[0]?.message ?? issue.message, example)];
      default:
        return [at(path, issue.message, example)];
    }
  });
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Own `__proto__` keys (JSON.parse makes them) vanish in zod; refuse them. spec.build is checked by its own validator. */
function protoKeyIssues(input: unknown): FieldIssue[] {
  const found: FieldIssue[] = [];
  const walk = (value: unknown, path: PropertyKey[]): void => {
    if (typeof value !== "object" || value === null || path.length > 3) return;
    if (Object.hasOwn(value, "__proto__")) found.push({ path: formatPath([...path, "__proto__"]), message: 'the key "__proto__" is not allowed' });
    for (const [key, child] of Object.entries(value)) {
      if (!(path.length === 1 && path[0] === "spec" && key === "build")) walk(child, [...path, key]);
    }
  };
  walk(input, []);
  return found;
}

export type ImageValidation = { ok: true; value: Image } | { ok: false; issues: FieldIssue[] };

/** Validates an untrusted Image document; never throws. Paths are relative to the document (`spec.build.destinations[0]`). */
export function validateImage(input: unknown, options: ValidateOptions = {}): ImageValidation {
  const proto = protoKeyIssues(input);
  if (proto.length > 0) return { ok: false, issues: proto };
  const outer = envelope(z.unknown()).safeParse(input);
  const issues = outer.success ? [] : fieldIssues(outer.error.issues, input);
  const rawBuild = valueAt(input, ["spec", "build"]);
  let build: BuildRequest | undefined;
  if (rawBuild === undefined) {
    if (!issues.some((i) => i.path === "spec" || i.path === "spec.build")) issues.push({ path: "spec.build", message: "required: the build request this image is built from" });
  } else {
    const inner = validateBuildRequest(rawBuild, options);
    if (inner.ok) build = inner.value;
    else issues.push(...inner.issues.map((i) => ({ ...i, path: i.path === "" ? "spec.build" : i.path.startsWith("[") ? `spec.build${i.path}` : `spec.build.${i.path}` })));
  }
  if (outer.success && build !== undefined && outer.data.spec.bases !== undefined && readableDockerfile(build) !== undefined) {
    issues.push({
      path: "spec.bases",
      message: "this image's Dockerfile is inline, so buildfleet reads its bases from the FROM lines; declare spec.bases only for a Dockerfile in git, a volume or a tarball",
    });
  }
  if (issues.length > 0 || !outer.success || build === undefined) return { ok: false, issues };
  return { ok: true, value: { ...outer.data, spec: { ...outer.data.spec, build } } };
}

/** Validates an untrusted Image or throws a ValidationError carrying every issue. */
export function parseImage(input: unknown, options: ValidateOptions = {}): Image {
  const result = validateImage(input, options);
  if (!result.ok) throw new ValidationError(result.issues, summariseIssues(result.issues, "invalid image"));
  return result.value;
}
