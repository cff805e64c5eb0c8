import { describe, expect, it } from "vitest";
import { BUILD_STATES, BuildState, canTransition, isTerminalState } from "./build-state.js";
import type { BuildState as State } from "./build-state.js";

describe("build states", () => {
  it("knows the terminal states", () => {
    expect(BUILD_STATES.filter(isTerminalState)).toEqual(["succeeded", "failed", "cancelled"]);
  });

  it.each<[State, State]>([
    ["queued", "starting"],
    ["starting", "running"],
    ["running", "retrying"],
    ["retrying", "starting"],
    ["retrying", "running"],
    ["retrying", "retrying"],
    ["running", "running"],
    ["running", "succeeded"],
    ["running", "failed"],
    ["queued", "failed"],
    ["queued", "cancelled"],
    ["queued", "running"],
    ["queued", "succeeded"],
  ])("allows %s → %s", (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each<[State, State]>([
    ["running", "queued"],
    ["starting", "queued"],
    ["running", "starting"],
    ["queued", "queued"],
    ["starting", "starting"],
  ])("refuses %s → %s (no going back)", (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it("never leaves a terminal state", () => {
    for (const from of BUILD_STATES.filter(isTerminalState)) {
      for (const to of BUILD_STATES) expect(canTransition(from, to)).toBe(false);
    }
  });

  it("lets every live state reach every terminal state", () => {
    for (const from of BUILD_STATES.filter((s) => !isTerminalState(s))) {
      expect(["succeeded", "failed", "cancelled"].every((to) => canTransition(from, to as State))).toBe(true);
    }
  });

  it("parses only known states", () => {
    expect(BuildState.safeParse("paused").success).toBe(false);
    expect(BuildState.parse("running")).toBe("running");
  });
});
