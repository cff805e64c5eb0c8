import { z } from "zod";
import type { BuildStreamEntry, StreamEntry } from "../builds/event-stream.js";
import { ImageDigest, Timestamp } from "../contract/index.js";
import { buildGraph } from "../catalog/graph.js";
import type { CatalogGraph, GraphNode, ImageId } from "../catalog/graph.js";
import type { ImageBuildStatus } from "../catalog-store/catalog-store.js";
import { tryNormaliseReference } from "../catalog/image-ref.js";
import { DEFAULT_SETTLE_SECONDS } from "../catalog/image.js";
import { staleDependents } from "../rebuilds/stale.js";
import { startRebuild, supersedeRebuild, waveLinkOf } from "./runner.js";
import type { RunnerDeps } from "./runner.js";

/**
 * Automatic waves: a catalog image built outside a wave (a push of the
 * base) with a digest its opted-in dependents were not built from schedules
 * a wave for them after their settle window. Further builds of that base
 * inside the window fold into the same wave (the window is not extended,
 * the newest digest wins). When the window ends while an automatic wave of
 * the same base still runs, that wave is superseded — its nodes that have not
 * started are cancelled (queued builds with reason `Superseded`), its running
 * builds finish — and a new one is planned against the newest digest: at most
 * one automatic wave per base enqueues builds.
 */

const Pending = z.strictObject({ digest: ImageDigest, dueAt: Timestamp, firstAt: Timestamp, builds: z.number().int().min(1) });
type Pending = z.infer<typeof Pending>;

const keys = (deps: RunnerDeps) => {
  const p = `${deps.ks.bullPrefix}:rebuild:auto`;
  return { pending: `${p}:pending`, active: `${p}:active`, claim: (base: string) => `${p}:claim:${base}` };
};

const canonical = (ref: string): string | undefined => {
  const r = tryNormaliseReference(ref);
  return r.ok ? r.value.canonical : undefined;
};

/** Sets the pending entry of a base unless it changed since it was read ('' = absent). */
const HSET_IF_SAME = `
if (redis.call('HGET', KEYS[1], ARGV[1]) or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;
const HDEL_IF_SAME = `
if (redis.call('HGET', KEYS[1], ARGV[1]) or '') ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1`;

/**
 * Looks at `build.succeeded` events of builds that are not wave nodes:
 * records the catalog image's new digest and schedules an automatic wave
 * when an opted-in dependent was built from another one. Idempotent.
 */
export async function noteBaseBuilds(deps: RunnerDeps, entries: readonly StreamEntry[], now: Date = new Date()): Promise<void> {
  const succeeded = entries.filter((e): e is BuildStreamEntry => e.kind === "build" && e.event.type === "build.succeeded");
  if (succeeded.length === 0) return;
  let graph: ReturnType<typeof buildGraph> | undefined;
  let status: Awaited<ReturnType<RunnerDeps["catalog"]["catalog"]>>["status"] | undefined;
  for (const entry of succeeded) {
    if (entry.event.type !== "build.succeeded") continue;
    // A wave's own node (linked, or — read before the wave's write linked it — by the origin its record
    // carries): the wave records it and handles what is below it. Never an automatic wave of its own.
    if (entry.event.data.builtFrom !== undefined || (await waveLinkOf(deps, entry.buildId, entry.event)) !== undefined) continue;
    if (graph === undefined || status === undefined) {
      const loaded = await deps.catalog.catalog();
      graph = buildGraph(loaded.catalog);
      status = loaded.status;
    }
    const pushed = new Set(entry.event.data.destinations.map(canonical).filter((d): d is string => d !== undefined));
    const digest = entry.event.data.digest;
    for (const id of graph.ids) {
      const node = graph.nodes.get(id)!;
      if (!node.destinations.some((d) => pushed.has(d))) continue;
      await deps.catalog.recordBuild(id, { buildId: entry.buildId, digest, builtFrom: {} });
      const waiting = waitingDependents(graph, status, id, digest);
      if (waiting.length === 0) continue;
      const settle = Math.max(...waiting.map((c) => c.entry.image.spec.rebuild?.settleSeconds ?? DEFAULT_SETTLE_SECONDS));
      await schedule(deps, id, digest, now, settle);
      deps.logger.info({ base: id, digest, dependents: waiting.length, settleSeconds: settle }, "automatic rebuild scheduled");
    }
  }
}

/** The opted-in children of `base` not built from `digest` yet. */
function waitingDependents(graph: CatalogGraph, status: ReadonlyMap<ImageId, ImageBuildStatus>, base: ImageId, digest: string): GraphNode[] {
  return staleDependents(graph, base, digest, (id) => status.get(id)?.builtFrom, (c) => c.onBaseChange).map((id) => graph.nodes.get(id)!);
}

async function schedule(deps: RunnerDeps, base: ImageId, digest: string, now: Date, settleSeconds: number): Promise<void> {
  const k = keys(deps);
  for (let round = 0; round < 20; round++) {
    const raw = (await deps.redis.hget(k.pending, base)) ?? "";
    const before = raw === "" ? undefined : Pending.safeParse(JSON.parse(raw));
    const existing = before?.success ? before.data : undefined;
    if (existing?.digest === digest) return;
    const next: Pending = existing
      ? { ...existing, digest, builds: existing.builds + 1 }
      : { digest, firstAt: now.toISOString(), dueAt: new Date(now.getTime() + settleSeconds * 1000).toISOString(), builds: 1 };
    if ((await deps.redis.eval(HSET_IF_SAME, 1, k.pending, base, raw, JSON.stringify(next))) === 1) return;
  }
}

/** Starts the automatic waves whose settle window has ended. Safe to run in several coordinators at once. */
export async function startDueWaves(deps: RunnerDeps, now: Date = new Date()): Promise<string[]> {
  const k = keys(deps);
  const started: string[] = [];
  for (const [base, raw] of Object.entries(await deps.redis.hgetall(k.pending))) {
    const parsed = Pending.safeParse(JSON.parse(raw));
    if (!parsed.success) {
      await deps.redis.hdel(k.pending, base);
      continue;
    }
    if (Date.parse(parsed.data.dueAt) > now.getTime()) continue;
    // Looked at again now: a wave may have rebuilt them from this digest meanwhile (e.g. a wave's own
    // build whose event was read before the wave's write linked it).
    const { catalog, status } = await deps.catalog.catalog();
    if (waitingDependents(buildGraph(catalog), status, base, parsed.data.digest).length === 0) {
      await deps.redis.eval(HDEL_IF_SAME, 1, k.pending, base, raw);
      continue;
    }
    // One coordinator starts it; the claim expires if that one dies in between.
    if ((await deps.redis.set(k.claim(base), "1", "PX", 30_000, "NX")) !== "OK") continue;
    try {
      // At most one automatic wave per base enqueues builds: the one before is superseded (what it has not
      // started is cancelled; its running builds finish) and this one re-plans every node against the newer digest.
      const previous = await deps.redis.hget(k.active, base);
      if (previous !== null) {
        const doc = await deps.waves.get(previous);
        if (doc?.state === "running") await supersedeRebuild(deps, previous);
      }
      const doc = await startRebuild(deps, {
        startedBy: "automatic",
        scope: { kind: "automatic" },
        trigger: { base, digest: parsed.data.digest },
        reason: `${base} was built with digest ${parsed.data.digest}${parsed.data.builds > 1 ? ` (${parsed.data.builds} builds folded into this wave)` : ""}`,
      });
      await deps.redis.hset(k.active, base, doc.id);
      // A newer digest that arrived meanwhile stays pending for the next wave.
      await deps.redis.eval(HDEL_IF_SAME, 1, k.pending, base, raw);
      started.push(doc.id);
      deps.logger.info({ base, waveId: doc.id, digest: parsed.data.digest }, "automatic rebuild wave started");
    } finally {
      await deps.redis.del(k.claim(base));
    }
  }
  return started;
}
