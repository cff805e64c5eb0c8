import type { BuildRequest } from "../contract/index.js";
import { dockerfileBases } from "../catalog/dockerfile-bases.js";
import type { DockerfileBase, TextPosition } from "../catalog/dockerfile-bases.js";
import { readableDockerfile } from "../catalog/image.js";
import { pinnedReference, tryNormaliseReference } from "../catalog/image-ref.js";
import type { NormaliseResult } from "../catalog/image-ref.js";

/**
 * Pinning a wave node's build to the digests its parents just produced, so
 * that it builds FROM exactly what the wave built and not whatever the tag
 * points to by then:
 *
 * - a base named in a Dockerfile buildfleet holds (inline, or a file of an
 *   inline context) is rewritten in place to `repo:tag@sha256:…`, and only
 *   the image name: flags, `AS alias`, continuations and comments stay;
 * - a base taken whole from a build arg gets that arg set to the pinned reference;
 * - any other base (a Dockerfile in git, a volume or a tarball) is built from
 *   its tag and reported `unpinned`.
 */

export interface Pin {
  /** Canonical base reference. */
  base: string;
  digest: string;
  state: "pinned" | "unpinned";
  /** The reference the build pulls when pinned. */
  pinnedTo?: string;
}

export type PinResult = { ok: true; request: BuildRequest; pins: Pin[] } | { ok: false; reason: string };

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Offsets of line starts; the parser counts `\r\n`, `\r` and `\n` as line ends. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\r" && text[i + 1] === "\n") i++;
    if (c === "\r" || c === "\n") starts.push(i + 1);
  }
  return starts;
}

/** The offset of a position in a text whose line starts are `starts`. */
function offsetOf(starts: readonly number[], text: string, p: TextPosition): number {
  return (starts[p.line] ?? text.length) + p.character;
}

/**
 * Normalised references by input, read-only: a wave pins each of a level's
 * thousands of builds to the same few bases, and parsing a reference is
 * most of pinning one. Bounded; emptied when full.
 */
const normalisedRefs = new Map<string, NormaliseResult>();
const MAX_NORMALISED_REFS = 10_000;

function normaliseCached(input: string): NormaliseResult {
  let result = normalisedRefs.get(input);
  if (result === undefined) {
    if (normalisedRefs.size >= MAX_NORMALISED_REFS) normalisedRefs.clear();
    result = tryNormaliseReference(input);
    normalisedRefs.set(input, result);
  }
  return result;
}

/**
 * Pins `request` to `digests` (canonical base reference → digest). Bases the
 * map does not name are left alone. Pure: the request is not modified.
 */
export function pinBuildRequest(
  request: BuildRequest,
  digests: ReadonlyMap<string, string>,
  /**
   * The bases dockerfileBases read from this request's Dockerfile (with these
   * buildArgs) before, e.g. at apply time: a wave pins thousands of builds
   * whose Dockerfiles were read when they were stored. Read again when absent.
   */
  known?: readonly Pick<DockerfileBase, "reference" | "source">[],
): PinResult {
  const wanted = new Map<string, string>();
  for (const [base, digest] of digests) {
    const ref = normaliseCached(base);
    if (!ref.ok) return { ok: false, reason: `cannot pin "${base}": ${ref.problem}` };
    wanted.set(ref.value.canonical, digest);
  }
  const readable = readableDockerfile(request);
  if (readable === undefined) {
    return { ok: true, request, pins: [...wanted].map(([base, digest]) => ({ base, digest, state: "unpinned" })) };
  }
  const found = known !== undefined ? { ok: true as const, bases: known } : dockerfileBases(readable.text, request.buildArgs ?? {});
  if (!found.ok) return { ok: false, reason: found.reason };

  const starts = lineStarts(readable.text);
  const edits: Edit[] = [];
  const args: Record<string, string> = {};
  const pinned = new Map<string, string>();
  for (const base of found.bases) {
    const digest = wanted.get(base.reference);
    if (digest === undefined) continue;
    const ref = normaliseCached(base.reference);
    if (!ref.ok) continue;
    const to = pinnedReference(ref.value, digest);
    pinned.set(base.reference, to);
    if (base.source.kind === "build-arg") args[base.source.name] = to;
    else edits.push({ start: offsetOf(starts, readable.text, base.source.range.start), end: offsetOf(starts, readable.text, base.source.range.end), text: to });
  }

  let text = readable.text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
  const next: BuildRequest = { ...request };
  if (Object.keys(args).length > 0) next.buildArgs = { ...request.buildArgs, ...args };
  if (edits.length > 0) {
    if ("inline" in readable.at) next.dockerfile = { inline: text };
    else if (request.context.type === "inline") next.context = { ...request.context, files: { ...request.context.files, [readable.at.file]: text } };
  }
  const pins = [...wanted].map(([base, digest]): Pin => {
    const to = pinned.get(base);
    return to === undefined ? { base, digest, state: "unpinned" } : { base, digest, state: "pinned", pinnedTo: to };
  });
  return { ok: true, request: next, pins };
}
