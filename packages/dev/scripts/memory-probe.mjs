// Preloaded into the worker by memory-bench.ts (node --expose-gc --import this file): plain
// JavaScript, so the compiled worker runs without tsx's loader. On SIGUSR2 it runs a full
// GC, writes process.memoryUsage() as JSON to $MEMORY_PROBE_OUT and, when
// $MEMORY_PROBE_SNAPSHOT_DIR is set, a heap snapshot there. Nothing in production loads it.
import { writeFileSync } from "node:fs";
import process from "node:process";
import { join } from "node:path";
import { getHeapSpaceStatistics, writeHeapSnapshot } from "node:v8";

const out = process.env.MEMORY_PROBE_OUT;
const snapshots = process.env.MEMORY_PROBE_SNAPSHOT_DIR;
let n = 0;
if (out) {
  process.on("SIGUSR2", () => {
    const beforeGc = process.memoryUsage();
    globalThis.gc?.();
    const usage = process.memoryUsage();
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]));
    const snapshot = snapshots ? writeHeapSnapshot(join(snapshots, `worker-${process.pid}-${++n}.heapsnapshot`)) : undefined;
    writeFileSync(out, JSON.stringify({ ...usage, beforeGc, spaces, snapshot }));
  });
}
