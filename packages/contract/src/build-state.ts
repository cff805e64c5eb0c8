import { z } from "zod";

export const BUILD_STATES = ["queued", "starting", "running", "retrying", "succeeded", "failed", "cancelled"] as const;
export const BuildState = z.enum(BUILD_STATES);
export type BuildState = z.infer<typeof BuildState>;

export const TERMINAL_STATES = ["succeeded", "failed", "cancelled"] as const satisfies readonly BuildState[];
export type TerminalState = (typeof TERMINAL_STATES)[number];

export function isTerminalState(state: BuildState): state is TerminalState {
  return (TERMINAL_STATES as readonly BuildState[]).includes(state);
}

/**
 * Allowed moves. State is derived level-triggered from Job/Pod status, and a
 * worker that restarts may only see a later picture, so forward jumps are
 * allowed (queued → running, any live state → any terminal state). Nothing
 * leaves a terminal state, and a build never goes back to queued.
 * Same-state moves are for a later attempt: retrying → retrying when another
 * attempt failed before the next was seen running, running → running when a
 * later attempt is seen running and the failure between was missed (the
 * build store tells such moves apart from duplicates by their key).
 */
const NEXT: Readonly<Record<BuildState, readonly BuildState[]>> = {
  queued: ["starting", "running", "retrying", "succeeded", "failed", "cancelled"],
  starting: ["running", "retrying", "succeeded", "failed", "cancelled"],
  running: ["running", "retrying", "succeeded", "failed", "cancelled"],
  retrying: ["starting", "running", "retrying", "succeeded", "failed", "cancelled"],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export function canTransition(from: BuildState, to: BuildState): boolean {
  return NEXT[from].includes(to);
}
