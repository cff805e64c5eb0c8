#!/usr/bin/env node
// `kubesim serve`: runs the simulator on 127.0.0.1 and writes a kubeconfig
// that kubectl and @kubernetes/client-node load as they are.
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { parse as parseYaml } from "yaml";
import { tmpdir } from "node:os";
import { DEFAULT_MAX_PARALLEL_BUILDS, type BuildahExecutorOptions } from "./executor/buildah/buildah-executor.js";
import { DEFAULT_ALIASES } from "./executor/buildah/registry-rewrite.js";
import { startKubeSim } from "./start.js";

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number");
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError("must be an integer port between 0 and 65535");
  return n;
}

interface ServeOptions {
  port: number;
  kubeconfigOut?: string;
  scenario?: string;
  speed: number;
  legacyJobConditions?: boolean;
  historySize?: number;
  defaultRunMs?: number;
  startDelayMs?: number;
  executor: "scripted" | "buildah";
  registry?: string;
  registryAlias: string[];
  volumeRoot?: string;
  maxParallelBuilds: number;
}

function realBuildOptions(opts: ServeOptions): BuildahExecutorOptions | undefined {
  if (opts.executor === "scripted") return undefined;
  const registry = opts.registry ?? process.env["REGISTRY_URL"];
  if (registry === undefined || registry === "") {
    throw new InvalidArgumentError("--executor=buildah needs --registry <url> (or REGISTRY_URL): the registry docker.io and the aliases resolve to");
  }
  return {
    registry,
    aliases: opts.registryAlias.length > 0 ? opts.registryAlias : DEFAULT_ALIASES,
    volumeRoot: resolve(opts.volumeRoot ?? join(tmpdir(), "kubesim-volumes")),
    maxParallel: opts.maxParallelBuilds,
  };
}

async function serve(opts: ServeOptions): Promise<void> {
  // YAML parsing covers JSON scenario files too; the control plane validates the rules.
  const scenario = opts.scenario ? (parseYaml(await readFile(opts.scenario, "utf8")) as unknown) : undefined;
  const realBuilds = realBuildOptions(opts);
  const sim = await startKubeSim({
    ...(realBuilds !== undefined ? { realBuilds } : {}),
    port: opts.port,
    speed: opts.speed,
    ...(opts.legacyJobConditions ? { legacyJobConditions: true } : {}),
    ...(scenario !== undefined ? { scenario } : {}),
    ...(opts.historySize !== undefined ? { historySize: opts.historySize } : {}),
    ...(opts.defaultRunMs !== undefined ? { defaultRunMs: opts.defaultRunMs } : {}),
    ...(opts.startDelayMs !== undefined ? { startDelayMs: opts.startDelayMs } : {}),
  });
  console.log(`kubesim listening on ${sim.url} (port ${sim.port})`);
  if (realBuilds !== undefined) {
    console.log(`real builds with buildah: registry ${realBuilds.registry}, volumes under ${realBuilds.volumeRoot}, at most ${realBuilds.maxParallel ?? DEFAULT_MAX_PARALLEL_BUILDS} at once`);
  }
  if (opts.kubeconfigOut) {
    const file = resolve(opts.kubeconfigOut);
    await writeFile(file, sim.kubeconfigYaml, { mode: 0o600 });
    console.log(`kubeconfig written to ${file}`);
    console.log(`try: kubectl --kubeconfig ${file} get ns`);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`kubesim: ${signal} received, shutting down`);
    // Bounded: never hang on a stuck connection.
    const force = setTimeout(() => process.exit(1), 5_000);
    force.unref();
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error("kubesim: error while closing", err);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

const program = new Command()
  .name("kubesim")
  .description("Kubernetes API simulator for buildfleet: real REST API, Job controller, scripted kubelet");

program
  .command("serve")
  .description("serve the Kubernetes API on 127.0.0.1")
  .option("--port <port>", "TCP port (0 picks a free one and prints it)", port, 0)
  .option("--kubeconfig-out <file>", "write a kubeconfig for this server to <file>")
  .option("--scenario <file>", "kubelet scenario rules (YAML or JSON) to load at start")
  .option("--speed <factor>", "simulated time speed factor", positiveNumber, 1)
  .option("--legacy-job-conditions", "model Kubernetes <= 1.30 Job conditions (terminal condition only)")
  .option("--history-size <n>", "watch events kept for resumption", (v) => Math.floor(positiveNumber(v)))
  .option("--default-run-ms <ms>", "simulated run time of a container no scenario rule matches", (v) => Math.floor(positiveNumber(v)))
  .option("--start-delay-ms <ms>", "simulated time from a pod's creation to its container starting", (v) => Math.floor(positiveNumber(v)))
  .option("--executor <kind>", "scripted (simulated Kaniko) or buildah (real builds against --registry)", (v) => {
    if (v !== "scripted" && v !== "buildah") throw new InvalidArgumentError("must be scripted or buildah");
    return v;
  }, "scripted")
  .option("--registry <url>", "registry for --executor=buildah (default REGISTRY_URL); docker.io and the aliases resolve to it")
  .option("--registry-alias <host>", "a registry host rewritten to --registry (repeatable; default registry.internal:5000)", (v: string, prev: string[]) => [...prev, v], [] as string[])
  .option("--volume-root <dir>", "PersistentVolumeClaims are <dir>/<namespace>/<claim> (default $TMPDIR/kubesim-volumes)")
  .option("--max-parallel-builds <n>", "real builds at once; the rest stay Pending", (v) => Math.floor(positiveNumber(v)), DEFAULT_MAX_PARALLEL_BUILDS)
  .action(async (opts: ServeOptions) => {
    await serve(opts);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`kubesim: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
