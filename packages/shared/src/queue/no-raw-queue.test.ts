import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The queue port (build-queues.ts) is the only module that holds a BullMQ
 * `Queue`: any other production module that constructs one, or takes one as
 * a parameter, goes around the port (and around the lanes that plug in
 * behind it). Tests and test support may look into BullMQ to assert what is
 * in the queue; they are not scanned. BullMQ's `Worker` (the consumer side)
 * is not a `Queue` and stays in the worker.
 */
const PACKAGES_DIR = join(import.meta.dirname, "..", "..", "..");
const PORT = join("shared", "src", "queue", "build-queues.ts");
/**
 * Queues that are not the build queue, each with why. The scheduler's firings
 * queue holds BullMQ job schedulers (one per schedule), never a build: the
 * builds a firing submits go through the port.
 */
const NOT_BUILD_QUEUES: Record<string, string> = {
  [join("worker", "src", "schedules", "scheduler.ts")]: "SCHEDULE_FIRINGS_QUEUE: BullMQ job schedulers of the schedules",
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    if (d.name === "node_modules" || d.name === "test-support") return [];
    if (d.isDirectory()) return sourceFiles(join(dir, d.name));
    return d.name.endsWith(".ts") && !d.name.endsWith(".test.ts") ? [join(dir, d.name)] : [];
  });
}

/** What in one module's text reaches BullMQ's Queue directly (pure). */
function rawQueueUses(source: string): string[] {
  const found: string[] = [];
  if (/\bnew\s+Queue\s*[<(]/.test(source)) found.push("new Queue(");
  for (const m of source.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+["']bullmq["']/g)) {
    const names = (m[1] ?? "").split(",").map((n) => n.trim().replace(/^type\s+/, "").split(/\s+as\s+/)[0]);
    if (names.includes("Queue")) found.push('import { Queue } from "bullmq"');
  }
  return found;
}

describe("the queue port is the only door to BullMQ's Queue", () => {
  it("tells a construction or an import of Queue from other BullMQ names", () => {
    expect(rawQueueUses('import { Queue } from "bullmq";\nconst q = new Queue("x");')).toEqual(["new Queue(", 'import { Queue } from "bullmq"']);
    expect(rawQueueUses('import type { Job, Queue as Q } from "bullmq";')).toEqual(['import { Queue } from "bullmq"']);
    expect(rawQueueUses('import { QueueEvents, Worker, type JobsOptions } from "bullmq";')).toEqual([]);
    expect(rawQueueUses("const queues = new BuildQueues({ connection, keyspace });")).toEqual([]);
  });

  it("no production module outside the port constructs or takes a BullMQ Queue", () => {
    const offenders = readdirSync(PACKAGES_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => {
        try {
          return sourceFiles(join(PACKAGES_DIR, d.name, "src"));
        } catch {
          return []; // a package without src/
        }
      })
      .filter((file) => relative(PACKAGES_DIR, file) !== PORT && NOT_BUILD_QUEUES[relative(PACKAGES_DIR, file)] === undefined)
      .flatMap((file) => rawQueueUses(readFileSync(file, "utf8")).map((use) => `${relative(PACKAGES_DIR, file)}: ${use}`));
    expect(offenders).toEqual([]);
  });
});
