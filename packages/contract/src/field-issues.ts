import type { z } from "zod";
import type { FieldIssue } from "./errors/index.js";
import { KNOWN_FIELDS } from "./build-request.js";
import { quote } from "./checks.js";

/**
 * Turns zod issues into FieldIssues a person can act on: a path written the
 * way they would write it (`destinations[1]`, `buildArgs["--insecure"]`), a
 * message that says what was wrong, and an example of a right value.
 */

/** Right values for fields whose schema issues carry no example of their own. */
const EXAMPLES: Readonly<Record<string, string>> = {
  apiVersion: "buildfleet.dev/v1",
  context: '{ "type": "git", "url": "https://github.com/example/app.git" }',
  "context.type": "git",
  "context.url": "https://github.com/example/app.git",
  "context.ref": "refs/heads/main",
  "context.subPath": "services/api",
  "context.claimName": "kaniko-workspace",
  "context.path": "my-build",
  "context.files": '{ "Dockerfile": "FROM busybox:latest" }',
  "context.files.*": "FROM busybox:latest",
  dockerfile: '{ "path": "Dockerfile" }',
  "dockerfile.path": "Dockerfile",
  "dockerfile.inline": "FROM busybox:latest",
  target: "runtime",
  destinations: '["registry.example.com/team/app:v1.2.3"]',
  "destinations[]": "registry.example.com/team/app:v1.2.3",
  buildArgs: '{ "APP_VERSION": "1.2.3" }',
  "buildArgs.*": "1.2.3",
  imageLabels: '{ "org.opencontainers.image.source": "https://github.com/example/app" }',
  "imageLabels.*": "https://github.com/example/app",
  cache: '{ "enabled": true, "ttl": "24h" }',
  "cache.enabled": "true",
  "cache.repository": "registry.example.com/team/cache",
  "cache.ttl": "24h",
  registryCredentials: '{ "secretName": "regcred" }',
  "registryCredentials.secretName": "regcred",
  resources: '{ "requests": { "cpu": "250m", "memory": "512Mi" } }',
  "resources.requests": '{ "cpu": "250m", "memory": "512Mi" }',
  "resources.limits": '{ "cpu": "1", "memory": "2Gi" }',
  "resources.requests.cpu": "250m",
  "resources.limits.cpu": "1",
  "resources.requests.memory": "512Mi",
  "resources.limits.memory": "2Gi",
  timeouts: '{ "runSeconds": 3600, "queueSeconds": 1800 }',
  "timeouts.runSeconds": "3600",
  "timeouts.queueSeconds": "1800",
  retries: "2",
  priority: "normal",
  idempotencyKey: "release-2024-06-01.1",
  labels: '{ "team": "payments" }',
  "labels.*": "payments",
};

/** Maps whose keys are data, not field names. */
const RECORDS = new Set(["context.files", "buildArgs", "imageLabels", "labels"]);

/** Secret-looking fields people put where only a Secret's name belongs. */
const CREDENTIAL_FIELDS = new Set(["username", "password", "auth", "token", "auths", "identitytoken", "dockerconfigjson"]);

/** At most this many issues are reported; a hostile document cannot make the answer huge. */
const MAX_ISSUES = 50;

type Path = readonly PropertyKey[];

export function formatPath(path: Path): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/**
 * A table entry by a key that comes from the client: `__proto__` or `constructor`
 * would otherwise find Object.prototype's members ("example: [object Object]").
 */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** `destinations[3]` → `destinations[]`, `buildArgs["--x"]` → `buildArgs.*`: the key of EXAMPLES. */
function examplePath(path: Path): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += "[]";
    else out += RECORDS.has(out) ? ".*" : out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** Levenshtein distance, bounded: field names are short. */
function distance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Infinity;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The known field a misspelt one most likely meant (case slips and up to two edits). */
function suggestField(parent: Path, key: string): string | undefined {
  const known = own(KNOWN_FIELDS, examplePath(parent)) ?? [];
  let best: string | undefined;
  let bestDistance = 3;
  for (const field of known) {
    const d = field.toLowerCase() === key.toLowerCase() ? 0 : distance(key, field);
    if (d < bestDistance) {
      best = field;
      bestDistance = d;
    }
  }
  return best;
}

function valueAt(input: unknown, path: Path): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" && !Number.isInteger(value)) return `number ${value}`;
  return typeof value;
}

function expectedName(expected: string): string {
  switch (expected) {
    case "int":
      return "a whole number";
    case "object":
    case "record":
      return "an object";
    case "array":
      return "an array";
    default:
      return expected;
  }
}

/** A short description of a wrong value: never the whole of a large object. */
function describeValue(value: unknown): string {
  if (typeof value === "string") return quote(value);
  if (typeof value === "object" && value !== null) return `an ${typeName(value) === "array" ? "array" : "object"}`;
  return String(value);
}

function fromIssue(issue: z.core.$ZodIssue, input: unknown): FieldIssue[] {
  const at = (path: Path, message: string, example?: string): FieldIssue => {
    const field: FieldIssue = { path: formatPath(path), message };
    const ex = example ?? own(EXAMPLES, examplePath(path));
    if (ex !== undefined) field.example = ex;
    return field;
  };
  const value = valueAt(input, issue.path);
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) {
        return [at(issue.path, issue.path.length === 0 ? "expected a build request object, got nothing" : "required")];
      }
      return [at(issue.path, `expected ${expectedName(issue.expected)}, got ${typeName(value)}`)];
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const path = [...issue.path, key];
        const inCredentials = issue.path.at(-1) === "registryCredentials" && CREDENTIAL_FIELDS.has(key.toLowerCase());
        return inCredentials
          ? at(path, `unknown field "${key}": buildfleet never takes credentials; give the name of a kubernetes.io/dockerconfigjson Secret in registryCredentials.secretName`, '{ "secretName": "regcred" }')
          : at(path, unknownField(issue.path, key), own(EXAMPLES, examplePath(issue.path)));
      });
    case "invalid_union": {
      // zod puts the allowed discriminator values on the issue without typing them.
      const allowed = (issue as { options?: unknown }).options;
      if (Array.isArray(allowed)) {
        const options = allowed.map((o) => JSON.stringify(o)).join(", ");
        return [at(issue.path, value === undefined ? `required: one of ${options}` : `expected one of ${options}, got ${describeValue(value)}`)];
      }
      return [at(issue.path, issue.message)];
    }
    case "invalid_value": {
      const options = issue.values.map((v) => JSON.stringify(v)).join(", ");
      const expected = issue.values.length === 1 ? options : `one of ${options}`;
      return [at(issue.path, `expected ${expected}, got ${describeValue(value)}`)];
    }
    case "invalid_key": {
      // The key itself is wrong: report the key check's own message.
      const inner = issue.issues[0];
      return [at(issue.path, inner?.message ?? `invalid key ${quote(String(issue.path.at(-1)))}`, exampleOf(inner))];
    }
    default:
      return [at(issue.path, issue.message, exampleOf(issue))];
  }
}

function unknownField(parent: Path, key: string): string {
  const suggestion = suggestField(parent, key);
  return suggestion === undefined ? `unknown field "${key}"` : `unknown field "${key}" (did you mean "${suggestion}"?)`;
}

function exampleOf(issue: z.core.$ZodIssue | undefined): string | undefined {
  if (issue?.code !== "custom") return undefined;
  const example = (issue.params as { example?: unknown } | undefined)?.example;
  return typeof example === "string" ? example : undefined;
}

export function toFieldIssues(issues: readonly z.core.$ZodIssue[], input: unknown): FieldIssue[] {
  const out = issues.flatMap((issue) => fromIssue(issue, input));
  if (out.length <= MAX_ISSUES) return out;
  return [...out.slice(0, MAX_ISSUES), { path: "", message: `and ${out.length - MAX_ISSUES} more problems` }];
}
