import { hash } from "node:crypto";
import { type DockerfileBaseSource, type TextPosition } from "@buildfleet/contract";
import { newBuildId } from "../contract/index.js";
import { FairShare } from "../admission/fair-share.js";
import type { StoredImage } from "../catalog-store/catalog-store.js";
import { settleAll, submitBuilds } from "../queue/submit-many.js";
import type { SubmitManyItem } from "../queue/submit-many.js";
import { pinBuildRequest } from "../rebuilds/pin.js";
import type { PlanNode } from "../rebuilds/plan.js";
import { pinsFor } from "../rebuilds/wave.js";
import type { Wave, WaveNode } from "../rebuilds/wave.js";
import type { RunnerDeps } from "./runner.js";
import type { NodeBuild, WaveDoc } from "./wave-store.js";

/**
 * Enqueueing the nodes a wave step made ready: each pinned to its parents'
 * new digests, all submitted as one batch under build ids derived from
 * their idempotency keys (wave, node, attempt).
 */

/** Splits `tenant/name`. */
function splitId(id: string): { tenant: string; name: string } {
  const slash = id.indexOf("/");
  return { tenant: id.slice(0, slash), name: id.slice(slash + 1) };
}

/** One wave node's build, ready to submit; or why it cannot be. */
type Prepared = { ok: true; item: SubmitManyItem; pins: NodeBuild["pins"] } | { ok: false; reason: string };

function prepareNode(doc: WaveDoc, wave: Wave, node: WaveNode, planned: PlanNode | undefined, stored: StoredImage | undefined, tag: number | undefined): Prepared {
  if (planned === undefined) return { ok: false, reason: `node ${node.id} is not in the plan` };
  const { tenant } = splitId(node.id);
  if (stored === undefined) return { ok: false, reason: `image ${node.id} was deleted from the catalog after the wave started` };
  const pinned = pinBuildRequest(stored.image.spec.build, pinsFor(wave, planned), storedDockerfileBases(stored));
  if (!pinned.ok) return { ok: false, reason: `cannot pin the build of ${node.id}: ${pinned.reason}` };
  const { idempotencyKey: _own, ...rest } = pinned.request;
  // One build per wave node and attempt, however often this step is repeated.
  const key = `rebuild.${doc.id}.${wave.index[node.id] ?? 0}.${node.attempt}`;
  return {
    ok: true,
    item: {
      tenant,
      request: { ...rest, priority: doc.priority },
      idempotencyKey: key,
      buildId: waveBuildId(doc, key),
      ...(tag !== undefined ? { tag } : {}),
      // One key per wave node and attempt, made here: nothing for a request hash to catch.
      systemKey: true,
      rebuild: { waveId: doc.id, nodeId: node.id, attempt: node.attempt, builtFrom: builtFromPins(pinned.pins) },
    },
    pins: pinned.pins,
  };
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The base digests a node's build is pinned to, as its record and build.succeeded name them. */
function builtFromPins(pins: readonly { base: string; digest: string }[]): Record<string, string> {
  // ImageDigest's own pattern, without a zod parse per pin of every node.
  return Object.fromEntries(pins.filter((p) => DIGEST.test(p.digest)).map((p) => [p.base, p.digest]));
}

/**
 * The bases apply read from the stored image's own Dockerfile (stored with
 * it, in one write), when they have the shape pinning needs; otherwise
 * undefined and pinning reads the Dockerfile again.
 */
function storedDockerfileBases(stored: StoredImage): { reference: string; source: DockerfileBaseSource }[] | undefined {
  const resolution = stored.resolution;
  if (resolution.state !== "resolved" || resolution.dockerfile === undefined) return undefined;
  const out: { reference: string; source: DockerfileBaseSource }[] = [];
  for (const base of resolution.bases) {
    if (!isDockerfileBaseSource(base.source)) return undefined;
    out.push({ reference: base.reference, source: base.source });
  }
  return out;
}

const isPosition = (p: unknown): boolean => typeof p === "object" && p !== null && typeof (p as TextPosition).line === "number" && typeof (p as TextPosition).character === "number";

function isDockerfileBaseSource(v: Record<string, unknown>): v is DockerfileBaseSource & Record<string, unknown> {
  if (typeof v["line"] !== "number") return false;
  if (v["kind"] === "build-arg") return typeof v["name"] === "string";
  const range = v["range"] as { start?: unknown; end?: unknown } | undefined;
  return (v["kind"] === "from" || v["kind"] === "copy-from" || v["kind"] === "run-mount") && typeof range === "object" && isPosition(range.start) && isPosition(range.end);
}

/**
 * The build id of a wave node's attempt: a function of its idempotency key,
 * so a step repeated after a crash between the queue add and the record
 * re-adds the same job id, which BullMQ ignores (no node built twice).
 */
export function waveBuildId(doc: Pick<WaveDoc, "createdAt">, key: string): string {
  return newBuildId({ now: Date.parse(doc.createdAt), bytes: hash("sha256", key, "buffer") });
}

/** What became of one node's submit: its build, or why there is none. */
type Submitted = { ok: true; build: NodeBuild } | { ok: false; reason: string };

/** Nodes prepared and submitted per part of a step (see submitLevel). */
const LEVEL_CHUNK = 125;

/**
 * Submits the builds of the nodes one step enqueues in parts of LEVEL_CHUNK
 * (see queue/submit-many.ts): a 2,000-node level is a few round trips per
 * part, not 2,000 submissions, and each part goes to Redis as soon as it is
 * pinned, so Redis writes one part while the next is prepared. The lane's
 * fair-share tags are taken for the whole step first, in node order, as for
 * one batch (a step repeated after a crash takes them again for builds it
 * then finds queued: their tenant's next builds are placed a little later,
 * nothing else). A node whose build cannot be made or is refused fails with the reason.
 */
export async function submitLevel(deps: Pick<RunnerDeps, "store" | "queue" | "redis" | "ks" | "catalog">, doc: WaveDoc, wave: Wave, nodes: readonly WaveNode[]): Promise<Submitted[]> {
  if (nodes.length === 0) return [];
  const planned = new Map(doc.plan.nodes.map((n) => [n.id, n]));
  const [stored, tags] = await Promise.all([
    deps.catalog.getMany(nodes.map((n) => n.id)),
    new FairShare(deps.redis, deps.ks).priorities(
      doc.priority,
      nodes.map((n) => ({ tenant: splitId(n.id).tenant })),
    ),
  ]);
  const parts: Promise<Submitted[]>[] = [];
  for (let from = 0; from < nodes.length; from += LEVEL_CHUNK) {
    // Between parts, the replies to the last one are handled (its entries then go out) before the next is pinned.
    if (from > 0) await new Promise((resolve) => setImmediate(resolve));
    const part = nodes.slice(from, from + LEVEL_CHUNK);
    const prepared = part.map((node, i) => prepareNode(doc, wave, node, planned.get(node.id), stored[from + i], tags[from + i]));
    parts.push(submitPart(deps, part, prepared));
  }
  return (await settleAll(parts)).flat();
}

async function submitPart(deps: Pick<RunnerDeps, "store" | "queue">, nodes: readonly WaveNode[], prepared: readonly Prepared[]): Promise<Submitted[]> {
  const ready = prepared.flatMap((p) => (p.ok ? [p] : []));
  // Tagged already: no fair share here.
  const submitted = await submitBuilds({ store: deps.store, queue: deps.queue }, ready.map((p) => p.item));
  const byKey = new Map(ready.map((p, i) => [p.item.idempotencyKey, submitted[i]!]));
  return prepared.map((p, i) => {
    if (!p.ok) return p;
    const res = byKey.get(p.item.idempotencyKey)!;
    if (!res.ok) return { ok: false, reason: `the build of ${nodes[i]!.id} was refused: ${res.error.message}` };
    return { ok: true, build: { buildId: res.buildId, attempt: nodes[i]!.attempt, pins: p.pins } };
  });
}
