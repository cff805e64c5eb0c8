/**
 * Rebuild-wave planning benchmark. Prints figures; asserts nothing.
 *
 *   pnpm --filter @buildfleet/shared bench:plan
 *   BENCH_IMAGES=20000 BENCH_RUNS=9 pnpm --filter @buildfleet/shared bench:plan
 *
 * A synthetic catalog of BENCH_IMAGES images over 5 levels (1 base, then ×10
 * per level until the total is reached), every image built from an inline
 * Dockerfile FROM a parent of the level above, one in ten also COPY --from a
 * second parent. Measured, median of BENCH_RUNS:
 * 1. apply: validating every Image, reading its bases and normalising its destinations (once per image, at apply time);
 * 2. dry run: building the graph from what apply stored + planWave from the base (goal < 1 s);
 * 3. coordinator: driving the whole wave through the state machine (maxInFlight 10), per node.
 */
import { performance } from "node:perf_hooks";
import { buildGraph, prepareEntry } from "../src/catalog/graph.js";
import type { CatalogEntry } from "../src/catalog/graph.js";
import type { WavePlan } from "../src/rebuilds/plan.js";
import { parseImage } from "../src/catalog/image.js";
import { planWave } from "../src/rebuilds/plan.js";
import { advance, applyOutcomes, startWave, waveStatus } from "../src/rebuilds/wave.js";
import type { NodeOutcome } from "../src/rebuilds/wave.js";

const IMAGES = Number(process.env.BENCH_IMAGES ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LEVELS = 5;
const REG = "registry.internal:5000";

function levelSizes(total: number): number[] {
  const sizes = [1];
  for (let l = 1; l < LEVELS - 1; l++) sizes.push(Math.min(10 ** l, total));
  sizes.push(Math.max(0, total - sizes.reduce((a, b) => a + b, 0)));
  return sizes;
}

function syntheticDocuments(): unknown[] {
  const docs: unknown[] = [];
  const names: string[][] = [];
  for (const [level, size] of levelSizes(IMAGES).entries()) {
    const row: string[] = [];
    for (let i = 0; i < size; i++) {
      const name = `l${level}-i${i}`;
      const above = names[level - 1] ?? [];
      const parent = above[i % Math.max(1, above.length)];
      const second = above[(i * 7 + 3) % Math.max(1, above.length)];
      const lines =
        parent === undefined
          ? ["FROM debian:bookworm-slim"]
          : [
              `ARG BASE=${REG}/bench/${parent}:v1`,
              "FROM --platform=$BUILDPLATFORM ${BASE} AS runtime",
              ...(i % 10 === 0 && second !== undefined && second !== parent ? [`COPY --from=${REG}/bench/${second}:v1 /opt /opt`] : []),
              "RUN true",
            ];
      docs.push({
        apiVersion: "buildfleet.dev/v1",
        kind: "Image",
        metadata: { name, labels: { level: String(level) } },
        spec: {
          build: { context: { type: "inline", files: {} }, dockerfile: { inline: lines.join("\n") }, destinations: [`${REG}/bench/${name}:v1`, `${REG}/bench/${name}:latest`] },
          rebuild: { onBaseChange: true },
        },
      });
      row.push(name);
    }
    names.push(row);
  }
  return docs;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = fn();
  return { ms: performance.now() - start, value };
}

const docs = syntheticDocuments();
console.log(`catalog: ${docs.length} images over ${LEVELS} levels (${levelSizes(IMAGES).join(" / ")}), median of ${RUNS} runs`);

const applyRuns: number[] = [];
let entries: CatalogEntry[] = [];
for (let r = 0; r < RUNS; r++) {
  const { ms, value } = time(() => docs.map((d): CatalogEntry => prepareEntry("bench", parseImage(d))));
  applyRuns.push(ms);
  entries = value;
}
const applyMs = median(applyRuns);
console.log(`apply (validate, read bases, normalise destinations; once per image): ${applyMs.toFixed(0)} ms for all, ${((applyMs * 1000) / docs.length).toFixed(0)} µs per image`);

const graphRuns: number[] = [];
const planRuns: number[] = [];
let nodes = 0;
let levels = 0;
let plan: WavePlan = { levels: [], nodes: [], warnings: [] };
for (let r = 0; r < RUNS; r++) {
  const graph = time(() => buildGraph({ entries }));
  const planned = time(() => planWave(graph.value, { base: "l0-i0" }, { kind: "admin" }));
  if (!planned.value.ok) throw new Error(planned.value.message);
  graphRuns.push(graph.ms);
  planRuns.push(planned.ms);
  plan = planned.value.plan;
  nodes = plan.nodes.length;
  levels = plan.levels.length;
}
const graphMs = median(graphRuns);
const planMs = median(planRuns);
console.log(`dry run: graph ${graphMs.toFixed(0)} ms + plan ${planMs.toFixed(0)} ms = ${(graphMs + planMs).toFixed(0)} ms for ${nodes} nodes in ${levels} levels (goal < 1000 ms)`);

const waveRuns: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const { ms, value } = time(() => {
    let wave = startWave(plan, { maxInFlight: 10 });
    let n = 0;
    for (;;) {
      const step = advance(wave);
      wave = step.wave;
      if (step.enqueue.length === 0) break;
      // Outcomes arrive one event at a time, as from the stream: started, then succeeded.
      for (const node of step.enqueue) {
        n++;
        const outcomes: NodeOutcome[] = [
          { id: node.id, attempt: node.attempt, type: "started" },
          { id: node.id, attempt: node.attempt, type: "succeeded", digest: `sha256:${n.toString(16).padStart(64, "0")}` },
        ];
        for (const outcome of outcomes) wave = applyOutcomes(wave, [outcome]).wave;
      }
    }
    return waveStatus(wave);
  });
  if (value.state !== "succeeded") throw new Error(`wave ended ${value.state}`);
  waveRuns.push(ms);
}
const waveMs = median(waveRuns);
console.log(`coordinator state machine: ${waveMs.toFixed(0)} ms for the whole wave, ${((waveMs * 1000) / nodes).toFixed(0)} µs per node`);
