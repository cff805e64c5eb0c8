import type { Redis } from "ioredis";
import { z } from "zod";
import { Timestamp } from "../contract/index.js";
import type { Keyspace } from "../redis/keyspace.js";
import { fleetKeys } from "./fleet-keys.js";

/**
 * The worker registry: each worker writes its report on every heartbeat
 * (one hash field per worker), and reads there whether an operator wants it
 * quiet. Level-triggered: a missed control message is corrected by the next
 * heartbeat. A worker that stops heartbeating is shown as `gone` after a bound
 * and forgotten later; one that stops cleanly removes its own report.
 */

export const WorkerId = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, { error: "expected a worker id: 1 to 128 letters, digits, '.', '_' or '-'" });

export const WORKER_STATES = ["running", "quiet"] as const;
export const WorkerState = z.enum(WORKER_STATES);
export type WorkerState = z.infer<typeof WorkerState>;

export const WorkerReport = z.strictObject({
  id: WorkerId,
  host: z.string().max(253),
  pid: z.number().int().min(0),
  version: z.string().max(64),
  /** Builds this worker follows at once at most. */
  capacity: z.number().int().min(0),
  inFlight: z.number().int().min(0),
  state: WorkerState,
  startedAt: Timestamp,
  heartbeatAt: Timestamp,
});
export type WorkerReport = z.infer<typeof WorkerReport>;

export type WorkerView = Omit<WorkerReport, "state"> & { state: WorkerState | "gone" };

/** Default heartbeat interval; a worker is `gone` after GONE_AFTER_BEATS missed beats. */
export const HEARTBEAT_MS = 5_000;
export const GONE_AFTER_BEATS = 3;
/** Reports of gone workers are dropped after this long. */
export const FORGET_AFTER_MS = 3600_000;

/** How a report is shown at `nowMs`: gone when its last heartbeat is older than `goneAfterMs`. */
export function workerView(report: WorkerReport, nowMs: number, goneAfterMs: number): WorkerView {
  const silentMs = nowMs - Date.parse(report.heartbeatAt);
  return { ...report, state: silentMs > goneAfterMs ? "gone" : report.state };
}

export interface WorkerRegistry {
  report(report: WorkerReport): Promise<void>;
  remove(id: string): Promise<void>;
  list(nowMs: number, goneAfterMs?: number): Promise<WorkerView[]>;
  get(id: string, nowMs: number, goneAfterMs?: number): Promise<WorkerView | undefined>;
  /** The state an operator wants for a worker (running unless set quiet). */
  wanted(id: string): Promise<WorkerState>;
  /** Records the wanted state and tells the worker at once (it also re-reads it every heartbeat). */
  setWanted(id: string, state: WorkerState): Promise<void>;
}

export function createWorkerRegistry(redis: Redis, ks: Keyspace): WorkerRegistry {
  const keys = fleetKeys(ks);
  const parse = (raw: string | null | undefined): WorkerReport | undefined => {
    if (raw === null || raw === undefined) return undefined;
    try {
      const parsed = WorkerReport.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    async report(report) {
      await redis.hset(keys.workers, report.id, JSON.stringify(WorkerReport.parse(report)));
    },
    async remove(id) {
      await redis.multi().hdel(keys.workers, id).hdel(keys.quiet, id).exec();
    },
    async list(nowMs, goneAfterMs = HEARTBEAT_MS * GONE_AFTER_BEATS) {
      const all = await redis.hgetall(keys.workers);
      const views: WorkerView[] = [];
      const forget: string[] = [];
      for (const [id, raw] of Object.entries(all)) {
        const report = parse(raw);
        if (!report || nowMs - Date.parse(report.heartbeatAt) > FORGET_AFTER_MS) forget.push(id);
        else views.push(workerView(report, nowMs, goneAfterMs));
      }
      if (forget.length > 0) await redis.multi().hdel(keys.workers, ...forget).hdel(keys.quiet, ...forget).exec();
      return views.sort((a, b) => a.id.localeCompare(b.id));
    },
    async get(id, nowMs, goneAfterMs = HEARTBEAT_MS * GONE_AFTER_BEATS) {
      const report = parse(await redis.hget(keys.workers, id));
      return report ? workerView(report, nowMs, goneAfterMs) : undefined;
    },
    async wanted(id) {
      return (await redis.hget(keys.quiet, id)) === "quiet" ? "quiet" : "running";
    },
    async setWanted(id, state) {
      if (state === "quiet") await redis.hset(keys.quiet, id, "quiet");
      else await redis.hdel(keys.quiet, id);
      await redis.publish(keys.control, id);
    },
  };
}
