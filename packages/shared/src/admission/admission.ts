import { PRIORITIES, type Priority } from "../contract/index.js";

/**
 * The admission decision for lanes and fair share, as a pure function over
 * plain data (not wired yet: the queue port will hold one BullMQ queue per
 * lane and call this to pick which waiting build a free slot takes).
 *
 * - Lanes are the request's priority: interactive, normal, bulk, in that order.
 * - `reservedInteractive` running slots are only ever taken by interactive
 *   builds: the other lanes stop at `totalSlots - reservedInteractive` running.
 * - A bulk build that has waited longer than `bulkAgingMs` competes as normal
 *   (no starvation of the bulk lane).
 * - Per-tenant `maxRunning` caps are never exceeded.
 * - Within a lane, the next build is the head of the tenant with the fewest
 *   running builds relative to its weight (GitLab's fewest-running-first,
 *   weighted); ties go to the oldest waiting build. A tenant with 1,000 queued
 *   builds therefore delays another tenant's first build by at most the next
 *   free slot, and a big tenant still gets its weighted share.
 */

export type Lane = Priority;
export const LANES: readonly Lane[] = PRIORITIES;

export interface WaitingBuild {
  buildId: string;
  tenant: string;
  lane: Lane;
  /** Epoch ms it entered the queue (not counting paused time is the caller's business). */
  enqueuedAt: number;
}

export interface TenantPolicy {
  /** Share weight (default 1). */
  weight?: number;
  maxRunning?: number;
}

export interface AdmissionState {
  now: number;
  /** Running slots of the fleet. */
  totalSlots: number;
  /** Slots only interactive builds may take (already resolved from e.g. "20%": see reservedSlots). */
  reservedInteractive: number;
  bulkAgingMs: number;
  /** Running builds by tenant and lane. */
  running: ReadonlyMap<string, Readonly<Record<Lane, number>>>;
  tenants: ReadonlyMap<string, TenantPolicy>;
}

export type Decision =
  | { admit: WaitingBuild; effectiveLane: Lane }
  | { admit: undefined; why: "no-free-slot" | "nothing-waiting" | "all-capped" };

/** "20%" of 50 slots → 10; "7" → 7; never more than the fleet. */
export function reservedSlots(spec: string, totalSlots: number): number {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(spec.trim());
  if (!m) throw new Error(`expected a slot count or a percentage such as 20%, got ${JSON.stringify(spec)}`);
  const n = Number(m[1]);
  const slots = m[2] === "%" ? Math.floor((totalSlots * n) / 100) : Math.floor(n);
  return Math.min(totalSlots, Math.max(0, slots));
}

const ZERO: Record<Lane, number> = { interactive: 0, normal: 0, bulk: 0 };

function totals(state: AdmissionState): { all: number; nonInteractive: number } {
  let all = 0;
  let nonInteractive = 0;
  for (const byLane of state.running.values()) {
    all += byLane.interactive + byLane.normal + byLane.bulk;
    nonInteractive += byLane.normal + byLane.bulk;
  }
  return { all, nonInteractive };
}

export function effectiveLane(build: WaitingBuild, now: number, bulkAgingMs: number): Lane {
  return build.lane === "bulk" && now - build.enqueuedAt > bulkAgingMs ? "normal" : build.lane;
}

const runningOf = (state: AdmissionState, tenant: string): number => {
  const r = state.running.get(tenant) ?? ZERO;
  return r.interactive + r.normal + r.bulk;
};

/**
 * Which waiting build the next free slot takes, or why none. `waiting` need
 * not be sorted. O(waiting): within one (tenant, lane) the oldest build always
 * wins (same share, earliest enqueuedAt, and the first to age), so an adapter
 * passes only the head of each (tenant, lane) queue, not every waiting build.
 */
export function decideNext(state: AdmissionState, waiting: readonly WaitingBuild[]): Decision {
  const { all, nonInteractive } = totals(state);
  if (all >= state.totalSlots) return { admit: undefined, why: "no-free-slot" };
  if (waiting.length === 0) return { admit: undefined, why: "nothing-waiting" };
  const nonInteractiveRoom = nonInteractive < state.totalSlots - state.reservedInteractive;
  let best: { build: WaitingBuild; lane: number; share: number } | undefined;
  for (const build of waiting) {
    const lane = effectiveLane(build, state.now, state.bulkAgingMs);
    if (lane !== "interactive" && !nonInteractiveRoom) continue;
    const policy = state.tenants.get(build.tenant) ?? {};
    const running = runningOf(state, build.tenant);
    if (policy.maxRunning !== undefined && running >= policy.maxRunning) continue;
    const candidate = { build, lane: LANES.indexOf(lane), share: running / Math.max(policy.weight ?? 1, 1e-9) };
    if (!best || better(candidate, best)) best = candidate;
  }
  if (!best) return { admit: undefined, why: "all-capped" };
  return { admit: best.build, effectiveLane: LANES[best.lane] ?? best.build.lane };
}

function better(a: { build: WaitingBuild; lane: number; share: number }, b: typeof a): boolean {
  if (a.lane !== b.lane) return a.lane < b.lane;
  if (a.share !== b.share) return a.share < b.share;
  if (a.build.enqueuedAt !== b.build.enqueuedAt) return a.build.enqueuedAt < b.build.enqueuedAt;
  return a.build.buildId < b.build.buildId;
}

/**
 * The order in which waiting builds would be admitted if capacity allowed
 * (lane, then weighted fewest-running, then age; each admitted build counts
 * as running for the ones after it): the basis of queuePosition (index + 1)
 * in a fair-share queue. Capacity limits (reserved slots, tenant caps) delay
 * builds but are not modelled here, since when a slot frees depends on
 * builds finishing.
 */
export function admissionOrder(state: AdmissionState, waiting: readonly WaitingBuild[], count: number): WaitingBuild[] {
  const running = new Map<string, Record<Lane, number>>([...state.running].map(([t, r]) => [t, { ...r }]));
  const tenants = new Map([...state.tenants].map(([t, p]) => [t, p.weight !== undefined ? { weight: p.weight } : {}]));
  const unbounded = { ...state, running, tenants, reservedInteractive: 0, totalSlots: Number.MAX_SAFE_INTEGER };
  let left = [...waiting];
  const order: WaitingBuild[] = [];
  while (order.length < count && left.length > 0) {
    const d = decideNext(unbounded, left);
    if (!d.admit) break;
    const admitted = d.admit;
    order.push(admitted);
    left = left.filter((b) => b !== admitted);
    const r = running.get(admitted.tenant) ?? { ...ZERO };
    r[d.effectiveLane] += 1;
    running.set(admitted.tenant, r);
  }
  return order;
}
