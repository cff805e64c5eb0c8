import { readFileSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { afterAll, beforeAll, inject } from "vitest";
import { startLocalStack, type LocalStack } from "@buildfleet/dev";
import { BuildfleetClient } from "@buildfleet/sdk";
import { uniquePrefix } from "@buildfleet/testkit";

/**
 * Where the end-to-end tests run. Default: kubesim. With E2E_KUBECONFIG set,
 * a real cluster: the worker gets that kubeconfig, destinations are rewritten
 * from registry.internal:5000 to E2E_REGISTRY, and tests that need a scripted
 * failure (a kubesim scenario rule) are skipped.
 */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const EXAMPLES_DIR = join(REPO_ROOT, "examples");

export const realCluster = process.env["E2E_KUBECONFIG"] !== undefined && process.env["E2E_KUBECONFIG"] !== "";
export const kubeconfig = realCluster ? process.env["E2E_KUBECONFIG"] : undefined;
const registry = process.env["E2E_REGISTRY"] ?? "registry.internal:5000";
export const registries = [registry];

/** Per-build wait: seconds on kubesim, real image builds on a cluster. */
export const BUILD_TIMEOUT_MS = realCluster ? 15 * 60_000 : 45_000;

/** Extra configuration for the API and the worker on a real cluster (namespace, kaniko image). */
export function clusterEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  if (process.env["E2E_NAMESPACE"]) env["BUILD_NAMESPACE"] = process.env["E2E_NAMESPACE"];
  if (process.env["E2E_KANIKO_IMAGE"]) env["KANIKO_IMAGE"] = process.env["E2E_KANIKO_IMAGE"];
  return env;
}

export function rewriteRegistry(value: string): string {
  return value.startsWith("registry.internal:5000/") ? registry + value.slice("registry.internal:5000".length) : value;
}

export interface Example {
  file: string;
  request: Record<string, unknown>;
}

/** Every examples/*.yaml, with destinations (and FROM build args) pointed at the test registry. */
export function loadExamples(): Example[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((file) => {
      const request = parse(readFileSync(join(EXAMPLES_DIR, file), "utf8")) as Record<string, unknown>;
      request["destinations"] = (request["destinations"] as string[]).map(rewriteRegistry);
      const args = request["buildArgs"] as Record<string, string> | undefined;
      if (args) request["buildArgs"] = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, rewriteRegistry(v)]));
      return { file, request };
    });
}

/** One e2e file's local stack (Redis from the global setup, kubesim or E2E_KUBECONFIG), started before its tests. */
export interface E2eStack {
  stack: LocalStack;
  client: BuildfleetClient;
  stateDir: string;
}

/** Starts the stack in beforeAll and stops it (and removes its state directory) in afterAll. */
export function useE2eStack(name: string): E2eStack {
  const e2e = {} as E2eStack;
  beforeAll(async () => {
    e2e.stateDir = await mkdtemp(join(tmpdir(), `buildfleet-e2e-${name}-`));
    e2e.stack = await startLocalStack({
      redisUrl: inject("redisUrl"),
      prefix: uniquePrefix(),
      stateDir: e2e.stateDir,
      writeEnvFile: false,
      logLevel: (process.env["TEST_LOG_LEVEL"] as "silent" | undefined) ?? "silent",
      registries,
      env: clusterEnv(),
      ...(kubeconfig !== undefined ? { kubeconfig } : {}),
    });
    e2e.client = new BuildfleetClient({ baseUrl: e2e.stack.url, token: e2e.stack.token });
  }, 90_000);
  afterAll(async () => {
    await e2e.stack?.stop();
    if (e2e.stateDir !== undefined) await rm(e2e.stateDir, { recursive: true, force: true });
  });
  return e2e;
}
