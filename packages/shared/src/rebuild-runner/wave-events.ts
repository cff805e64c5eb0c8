import type { RebuildEventDataMap, RebuildEventType } from "../contract/index.js";
import type { NodeChange, WaveNodeState } from "../rebuilds/wave.js";
import { SUPERSEDED_REASON, waveStatus } from "../rebuilds/wave.js";
import type { WaveDoc } from "./wave-store.js";

/**
 * The rebuild.* events one wave write announces, pure: derived from the doc
 * before the write, the doc written and the node changes of the step. The
 * wave store publishes them in the same atomic step as the write, so a step
 * that loses its compare-and-set (or is repeated after a crash and changes
 * nothing) publishes nothing: each transition is announced once.
 */

export type WaveEventInit = { [T in RebuildEventType]: { type: T; data: RebuildEventDataMap[T] } }[RebuildEventType];

const DIGEST = /^sha256:[0-9a-f]{64}$/;

const tenantOf = (nodeId: string): string => nodeId.slice(0, nodeId.indexOf("/"));

/** Who a wave-level event concerns: the wave's tenant, or every tenant with a node in it. */
export function waveTenants(doc: Pick<WaveDoc, "scope" | "tenant" | "plan">): string[] {
  if (doc.scope === "tenant" && doc.tenant !== undefined) return [doc.tenant];
  return [...new Set(doc.plan.nodes.map((n) => tenantOf(n.id)))].sort();
}

type NodeData<T extends RebuildEventType> = RebuildEventDataMap[T];

/**
 * An event's data in literals and assignments, each key in the order the
 * spreads this replaces gave it: V8 makes `{ ...base, more }` in its slow path,
 * and a 1,000-node step's events cost 6-7 ms that way (under 1 ms like this).
 */
function nodeEvent(doc: WaveDoc, change: NodeChange): WaveEventInit | undefined {
  const tenants = [tenantOf(change.id)];
  const build = doc.builds[change.id];
  const buildId = build !== undefined && build.attempt === change.attempt ? build.buildId : undefined;
  const reason = change.reason !== undefined ? change.reason.slice(0, 4096) : undefined;
  switch (change.to) {
    case "queued": {
      if (buildId === undefined || build === undefined) return undefined;
      const node = doc.wave.nodes[doc.wave.index[change.id] ?? -1];
      const builtFrom: Record<string, string> = {};
      for (const p of build.pins) if (DIGEST.test(p.digest)) builtFrom[p.base] = p.digest;
      return { type: "rebuild.node.queued", data: { waveId: doc.id, tenants, node: change.id, attempt: change.attempt, level: node?.level ?? 0, buildId, builtFrom } };
    }
    case "succeeded": {
      if (change.digest === undefined) return undefined;
      const data: NodeData<"rebuild.node.succeeded"> =
        buildId !== undefined
          ? { waveId: doc.id, tenants, node: change.id, attempt: change.attempt, buildId, digest: change.digest }
          : { waveId: doc.id, tenants, node: change.id, attempt: change.attempt, digest: change.digest };
      return { type: "rebuild.node.succeeded", data };
    }
    case "failed": {
      const data: NodeData<"rebuild.node.failed"> = { waveId: doc.id, tenants, node: change.id, attempt: change.attempt };
      if (buildId !== undefined) data.buildId = buildId;
      if (reason !== undefined) data.reason = reason;
      return { type: "rebuild.node.failed", data };
    }
    case "skipped": {
      const data: NodeData<"rebuild.node.skipped"> = { waveId: doc.id, tenants, node: change.id, attempt: change.attempt };
      if (change.skippedBecause !== undefined) data.skippedBecause = change.skippedBecause;
      if (reason !== undefined) data.reason = reason;
      return { type: "rebuild.node.skipped", data };
    }
    // running: the build's own events say so; cancelled nodes: rebuild.cancelled (or a superseding wave) says so;
    // pending: a retry, announced by rebuild.started.
    case "running":
    case "cancelled":
    case "pending":
      return undefined;
  }
}

// "Superseded" is SUPERSEDED_BY of runner.ts (not imported: runner.ts imports this module).
const cancelText = (by: string): string => (by === "Superseded" ? SUPERSEDED_REASON : `cancelled by ${by}`.slice(0, 4096));

/** The events of writing `next` over `prev` (undefined: the wave is created). */
export function waveEvents(prev: WaveDoc | undefined, next: WaveDoc, changes: readonly NodeChange[]): WaveEventInit[] {
  const events: WaveEventInit[] = [];
  const tenants = waveTenants(next);
  const startedNow = prev === undefined || (prev.state !== "running" && next.state === "running");
  if (startedNow) {
    events.push({
      type: "rebuild.started",
      data: {
        waveId: next.id,
        tenants,
        nodes: next.plan.nodes.length,
        levels: next.plan.levels.length,
        startedBy: next.startedBy,
        ...(prev !== undefined ? { retry: true } : {}),
        ...(next.reason !== undefined ? { reason: next.reason.slice(0, 4096) } : {}),
      },
    });
  }
  for (const change of changes) {
    const event = nodeEvent(next, change);
    if (event !== undefined) events.push(event);
  }
  const finishedNow = next.state !== "running" && (prev === undefined || prev.state === "running");
  if (finishedNow) {
    const counts: Record<WaveNodeState, number> = waveStatus(next.wave).counts;
    const data = { waveId: next.id, tenants, counts };
    switch (next.state) {
      case "succeeded":
        events.push({ type: "rebuild.succeeded", data });
        break;
      case "failed":
        events.push({ type: "rebuild.failed", data });
        break;
      case "cancelled":
        events.push({ type: "rebuild.cancelled", data: { ...data, ...(next.cancelledBy !== undefined ? { reason: cancelText(next.cancelledBy) } : {}) } });
        break;
      case "running":
        break;
    }
  }
  return events;
}
