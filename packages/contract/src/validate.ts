import { ValidationError } from "./errors/index.js";
import type { FieldIssue } from "./errors/index.js";
import { BuildRequest } from "./build-request.js";
import { quote } from "./checks.js";
import { formatPath, toFieldIssues } from "./field-issues.js";
import { tryParseImageReference } from "./image-reference.js";

export const TAG_POLICIES = ["require-versioned", "allow-latest"] as const;
export type TagPolicy = (typeof TAG_POLICIES)[number];

export interface ValidateOptions {
  /**
   * "require-versioned" (default): at least one destination carries a tag
   * other than `latest`, because `latest` alone cannot be rolled back to.
   */
  tagPolicy?: TagPolicy;
}

export type ValidationResult = { ok: true; value: BuildRequest } | { ok: false; issues: FieldIssue[] };

function tagPolicyIssues(request: BuildRequest, policy: TagPolicy): FieldIssue[] {
  if (policy === "allow-latest") return [];
  const refs = request.destinations.flatMap((d) => {
    const parsed = tryParseImageReference(d);
    return parsed.ok ? [parsed.value] : [];
  });
  if (refs.some((r) => r.tag !== "latest")) return [];
  const first = request.destinations[0] ?? "registry.example.com/team/app:latest";
  const versioned = first.replace(/:latest$/, ":v1.0.0");
  return [
    {
      path: "destinations",
      message: `every destination is tagged "latest" (${request.destinations.map((d) => quote(d)).join(", ")}); add one with a versioned tag, which the "require-versioned" tag policy needs so a release can be rolled back`,
      example: versioned,
    },
  ];
}

/**
 * Own `__proto__` keys (JSON.parse creates them) are skipped by zod and lost
 * when an object is copied, so a field would vanish without an error. They
 * are refused before parsing. The walk is bounded in depth and nodes.
 */
function protoKeyIssues(input: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  let budget = 10_000;
  const walk = (value: unknown, path: PropertyKey[], depth: number): void => {
    if (typeof value !== "object" || value === null || depth > 8 || budget-- <= 0) return;
    if (Object.hasOwn(value, "__proto__")) {
      issues.push({ path: formatPath([...path, "__proto__"]), message: 'the key "__proto__" is not allowed' });
    }
    for (const [key, child] of Object.entries(value)) walk(child, [...path, Array.isArray(value) ? Number(key) : key], depth + 1);
  };
  walk(input, [], 0);
  return issues;
}

/** Validates an untrusted request; never throws. */
export function validateBuildRequest(input: unknown, options: ValidateOptions = {}): ValidationResult {
  const protoIssues = protoKeyIssues(input);
  if (protoIssues.length > 0) return { ok: false, issues: protoIssues };
  const parsed = BuildRequest.safeParse(input);
  if (!parsed.success) return { ok: false, issues: toFieldIssues(parsed.error.issues, input) };
  const issues = tagPolicyIssues(parsed.data, options.tagPolicy ?? "require-versioned");
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: parsed.data };
}

/** Validates an untrusted request or throws a ValidationError carrying every issue. */
export function parseBuildRequest(input: unknown, options: ValidateOptions = {}): BuildRequest {
  const result = validateBuildRequest(input, options);
  if (!result.ok) throw new ValidationError(result.issues);
  return result.value;
}
