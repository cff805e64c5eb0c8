import { describe, expect, it } from "vitest";
import { BuildSignal } from "./build-signal.js";

describe("BuildSignal", () => {
  it("calls its listeners once, in order, on the first abort", () => {
    const signal = new BuildSignal();
    const calls: string[] = [];
    signal.addEventListener("abort", () => calls.push("a"));
    signal.addEventListener("abort", () => calls.push("b"));
    expect(signal.aborted).toBe(false);
    signal.abort();
    signal.abort();
    expect(signal.aborted).toBe(true);
    expect(calls).toEqual(["a", "b"]);
  });

  it("does not call a removed listener", () => {
    const signal = new BuildSignal();
    const calls: string[] = [];
    const a = (): number => calls.push("a");
    signal.addEventListener("abort", a);
    signal.addEventListener("abort", () => calls.push("b"));
    signal.removeEventListener("abort", a);
    signal.abort();
    expect(calls).toEqual(["b"]);
  });

  it("adds the same listener once, as an AbortSignal does", () => {
    const signal = new BuildSignal();
    let calls = 0;
    const listener = (): void => {
      calls++;
    };
    signal.addEventListener("abort", listener);
    signal.addEventListener("abort", listener);
    signal.abort();
    expect(calls).toBe(1);
  });

  it("keeps calling the other listeners when one throws", async () => {
    const signal = new BuildSignal();
    const calls: string[] = [];
    const uncaught = new Promise<unknown>((resolve) => process.once("uncaughtException", resolve));
    signal.addEventListener("abort", () => {
      throw new Error("boom");
    });
    signal.addEventListener("abort", () => calls.push("b"));
    signal.abort();
    expect(calls).toEqual(["b"]);
    expect(await uncaught).toMatchObject({ message: "boom" });
  });
});
