import { createHash } from "node:crypto";

/**
 * Kubernetes names for a build's objects.
 *
 * LOAD-BEARING: the Job name must stay a DNS-1123 label of at most 63 characters.
 * The Job controller copies it into the `batch.kubernetes.io/job-name` (and legacy
 * `job-name`) LABEL of every pod, and label values are capped at 63 characters
 * (kubernetes#50850): a longer name is rejected or breaks pod selection.
 *
 * Shape: `b-<slug>-<hash>`. The slug keeps the name readable (`kubectl get jobs`
 * shows the build id); the hash keeps it unique when the slug had to be cleaned
 * or cut, and makes the name deterministic, so re-creating a build's Job after a
 * crash hits 409 AlreadyExists instead of starting a second Job.
 */
export const MAX_K8S_NAME_LENGTH = 63;

const HASH_LENGTH = 10;
const PREFIX = "b-";
// "b-" + slug + "-" + hash must fit in 63.
const MAX_SLUG_LENGTH = MAX_K8S_NAME_LENGTH - PREFIX.length - 1 - HASH_LENGTH;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isDns1123Label(name: string): boolean {
  return name.length <= MAX_K8S_NAME_LENGTH && DNS1123_LABEL.test(name);
}

function slugify(input: string): string {
  const cleaned = input
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+/, "");
  return cleaned.slice(0, MAX_SLUG_LENGTH).replace(/-+$/, "");
}

export function jobNameForBuild(buildId: string): string {
  if (buildId.length === 0) throw new RangeError("jobNameForBuild: empty build id");
  const hash = createHash("sha256").update(buildId, "utf8").digest("hex").slice(0, HASH_LENGTH);
  const slug = slugify(buildId);
  return slug.length > 0 ? `${PREFIX}${slug}-${hash}` : `${PREFIX}${hash}`;
}

/** The inline-context ConfigMap shares the Job's name: one name to find, adopt and garbage-collect. */
export function configMapNameForBuild(buildId: string): string {
  return jobNameForBuild(buildId);
}

/**
 * Label values: ≤ 63 chars, `[A-Za-z0-9]` at both ends, `-_.` inside (empty allowed).
 * Used for the tenant label, whose source is not guaranteed label-safe.
 */
export function toLabelValue(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9_.-]+/g, "-");
  if (cleaned === value && value.length <= MAX_K8S_NAME_LENGTH && /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/.test(value)) {
    return value;
  }
  // Changed or cut: append a hash so two different tenants cannot collide on one label value.
  const hash = createHash("sha256").update(value, "utf8").digest("hex").slice(0, 8);
  const head = cleaned.slice(0, MAX_K8S_NAME_LENGTH - 9).replace(/^[^A-Za-z0-9]+/, "").replace(/[^A-Za-z0-9]+$/, "");
  return head.length > 0 ? `${head}-${hash}` : hash;
}
