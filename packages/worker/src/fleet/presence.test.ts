import { createLogger, type WorkerRegistry, type WorkerReport, type WorkerState } from "@buildfleet/shared";
import { describe, expect, it } from "vitest";
import { WorkerPresence, type QuietableWorker } from "./presence.js";

function fakes() {
  const reports: WorkerReport[] = [];
  let wanted: WorkerState = "running";
  let release: (() => void) | undefined;
  let hold = false;
  let wantedReads = 0;
  const registry: WorkerRegistry = {
    report: async (r) => void reports.push(r),
    remove: async () => undefined,
    list: async () => [],
    get: async () => undefined,
    wanted: async () => {
      wantedReads++;
      if (hold) await new Promise<void>((r) => (release = r));
      return wanted;
    },
    setWanted: async (_id, s) => void (wanted = s),
  };
  let quiet = false;
  const worker: QuietableWorker = {
    inFlightBuilds: () => ["b1"],
    quiet: async () => void (quiet = true),
    unquiet: async () => void (quiet = false),
    isQuiet: () => quiet,
  };
  return {
    registry,
    worker,
    reports,
    setWanted: (s: WorkerState) => (wanted = s),
    holdNext: () => (hold = true),
    release: () => {
      hold = false;
      release?.();
    },
    wantedReads: () => wantedReads,
  };
}

const logger = createLogger({ name: "test", level: "silent" });

describe("WorkerPresence", () => {
  it("applies the wanted state and reports it with capacity and in-flight count", async () => {
    const f = fakes();
    const p = new WorkerPresence({ id: "w1", registry: f.registry, worker: f.worker, capacity: 8, logger });
    f.setWanted("quiet");
    await p.sync();
    expect(f.reports.at(-1)).toMatchObject({ id: "w1", state: "quiet", capacity: 8, inFlight: 1 });
    f.setWanted("running");
    await p.sync();
    expect(f.reports.at(-1)?.state).toBe("running");
  });

  it("runs one more beat for calls made during a beat, never one per call", async () => {
    const f = fakes();
    const p = new WorkerPresence({ id: "w1", registry: f.registry, worker: f.worker, capacity: 1, logger });
    f.holdNext();
    const first = p.sync();
    for (let i = 0; i < 10; i++) void p.sync();
    f.setWanted("quiet");
    f.release();
    await first;
    await p.sync();
    // The held beat, one follow-up for the ten calls, and the last explicit one.
    expect(f.wantedReads()).toBe(3);
    expect(f.reports.at(-1)?.state).toBe("quiet");
  });

  it("stops within its bound even when Redis does not answer", async () => {
    const f = fakes();
    const p = new WorkerPresence({ id: "w1", registry: f.registry, worker: f.worker, capacity: 1, logger });
    f.holdNext();
    void p.sync();
    await p.stop(50);
    f.release();
  });
});
