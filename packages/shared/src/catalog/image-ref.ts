import { formatImageReference, tryParseImageReference } from "../contract/index.js";
import type { ImageReference } from "../contract/index.js";

/**
 * Base references compared the way a registry resolves them: `busybox`,
 * `busybox:latest` and `docker.io/library/busybox:latest` are one image. A
 * reference without tag or digest means `:latest`, as docker and kaniko pull it.
 */

export interface NormalisedReference {
  /** `registry/repository`, e.g. `docker.io/library/busybox`. */
  name: string;
  /** The tag, `latest` when the reference names neither tag nor digest; absent for a digest-only reference. */
  tag?: string;
  digest?: string;
  /** The fully qualified form, e.g. `docker.io/library/busybox:latest` (tag and digest when both are named). */
  canonical: string;
}

export type NormaliseResult = { ok: true; value: NormalisedReference } | { ok: false; problem: string };

export function tryNormaliseReference(input: string): NormaliseResult {
  const parsed = tryParseImageReference(input);
  if (!parsed.ok) return parsed;
  return { ok: true, value: normalised(parsed.value) };
}

function normalised(ref: ImageReference): NormalisedReference {
  const full: ImageReference = { ...ref };
  if (full.tag === undefined && full.digest === undefined) full.tag = "latest";
  const out: NormalisedReference = { name: full.name, canonical: formatImageReference(full) };
  if (full.tag !== undefined) out.tag = full.tag;
  if (full.digest !== undefined) out.digest = full.digest;
  return out;
}

/** `name@digest`: the key under which a produced digest is indexed. */
export const digestKey = (name: string, digest: string): string => `${name}@${digest}`;

/**
 * The reference a pinned build pulls: `repo:tag@sha256:…` keeps the tag for
 * people reading the Dockerfile while the digest decides what is pulled.
 */
export function pinnedReference(ref: NormalisedReference, digest: string): string {
  return ref.tag === undefined ? `${ref.name}@${digest}` : `${ref.name}:${ref.tag}@${digest}`;
}

/**
 * Splits a canonical reference (as tryNormaliseReference writes it) without
 * parsing it again: graph building does this for every base of every image.
 */
export function splitCanonical(canonical: string): { name: string; tag?: string; digest?: string } {
  const at = canonical.indexOf("@");
  const rest = at === -1 ? canonical : canonical.slice(0, at);
  const colon = rest.lastIndexOf(":");
  const hasTag = colon > rest.lastIndexOf("/");
  const out: { name: string; tag?: string; digest?: string } = { name: hasTag ? rest.slice(0, colon) : rest };
  if (hasTag) out.tag = rest.slice(colon + 1);
  if (at !== -1) out.digest = canonical.slice(at + 1);
  return out;
}
