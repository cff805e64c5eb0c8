import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { resolveWorkerMain, workerCommandArgs } from "./worker-process.js";

describe("the worker entry", () => {
  it("is the worker package's exported ./main, its source under the source condition", () => {
    expect(resolveWorkerMain()).toBe(fileURLToPath(new URL("../../worker/src/main.ts", import.meta.url)));
  });

  it("runs a TypeScript entry through tsx with the source condition", () => {
    expect(workerCommandArgs("/w/src/main.ts")).toEqual(["--import", "tsx", "--conditions=source", "/w/src/main.ts"]);
  });

  it("runs a built entry with plain node", () => {
    expect(workerCommandArgs("/w/dist/main.js")).toEqual(["/w/dist/main.js"]);
  });

  it("puts the caller's node flags before the entry, compiled or not", () => {
    expect(workerCommandArgs("/w/dist/main.js", ["--expose-gc"])).toEqual(["--expose-gc", "/w/dist/main.js"]);
    expect(workerCommandArgs("/w/src/main.ts", ["--expose-gc"])).toEqual(["--expose-gc", "--import", "tsx", "--conditions=source", "/w/src/main.ts"]);
  });
});
