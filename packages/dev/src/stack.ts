import { mkdir, rm, writeFile, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { TokenEntry, TokenTable, startApi, type RunningApi, type UiOptions } from "@buildfleet/api";
import { startKubeSim, type KubeSim, type KubeSimOptions } from "@buildfleet/kubesim";
import { DEFAULT_PREFIX, createLogger, loadConfig, type LogLevel } from "@buildfleet/shared";
import { freeLoopbackPort, startRedis, type TestRedis } from "@buildfleet/testkit";
import { DEV_REGISTRIES, DEV_SECRETS, DEV_TENANT, FAIL_ON_PURPOSE_SCENARIO, devTokenEntry, newDevToken, renderDevEnv } from "./dev-settings.js";
import { startRealBuilds, type RealBuilds, type RealBuildsOptions } from "./real-builds.js";
import { startWorkerProcess, type WorkerProcess } from "./worker-process.js";
import { createWatchdog } from "./watchdog.js";

/**
 * The local stack: Redis, kubesim (or a real cluster's kubeconfig), the API
 * (in this process) and one worker (a child process). `pnpm dev`, the
 * end-to-end tests and the benchmark all start it through here.
 */

export const DEFAULT_STATE_DIR = fileURLToPath(new URL("../../../.buildfleet/", import.meta.url));

export interface LocalStackOptions {
  /** Where dev.env and the kubesim kubeconfig are written (default <repo>/.buildfleet). */
  stateDir?: string;
  /** Use this Redis; otherwise REDIS_URL, a private redis-server, or testcontainers. */
  redisUrl?: string;
  /** Redis key prefix (tests pass a unique one). */
  prefix?: string;
  /** A real cluster: skip kubesim and give the worker this kubeconfig. */
  kubeconfig?: string;
  /** kubesim tuning; the default makes a build take about three seconds. */
  kubesim?: KubeSimOptions;
  apiPort?: number;
  logLevel?: LogLevel;
  /** Extra configuration variables for the API and the worker (BUILD_NAMESPACE, KANIKO_IMAGE, …). */
  env?: Record<string, string>;
  /** Registries the dev token may push to (default: the examples' registry). */
  registries?: readonly string[];
  /** The dev token's rate limit (default: the API's per-token default). */
  rateLimit?: { max: number; timeWindowMs: number };
  onWorkerOutput?: (text: string) => void;
  /** Write <stateDir>/dev.env (default true). */
  writeEnvFile?: boolean;
  /** More tokens besides the dev token (other tenants, read-only: the dashboard tests). */
  extraTokens?: readonly TokenEntry[];
  /** The dashboard's options (default: the built packages/web/dist). */
  ui?: UiOptions;
  /** kubesim builds for real (buildah + a registry seeded with busybox); ignored with `kubeconfig`. */
  realBuilds?: boolean | RealBuildsOptions;
}

export interface LocalStack {
  url: string;
  /** The dashboard: <url>/ui/ */
  uiUrl: string;
  token: string;
  tenant: string;
  redisUrl: string;
  prefix: string;
  kubeconfigPath: string;
  envFile: string | undefined;
  /** The worker's Prometheus metrics (also WORKER_METRICS_URL in dev.env). */
  workerMetricsUrl: string;
  /** Present when running on kubesim (scenario and fault controls). */
  sim: KubeSim | undefined;
  /** Present when kubesim builds for real: the registry (REGISTRY_URL) and the claim directories. */
  realBuilds: RealBuilds | undefined;
  /**
   * Resolves with one sentence when a part died on its own (Redis stopped
   * answering, the worker exited); never once stop() was called.
   */
  died: Promise<string>;
  /** Stops the worker, the API, kubesim and Redis; idempotent and bounded. */
  stop(): Promise<void>;
}

/**
 * kubesim at 20× : a build's simulated minute of kaniko takes about three seconds.
 * Mounts are checked as a kubelet does: a build naming a Secret that the stack did
 * not create stays Pending with FailedMount, as it would on a cluster.
 */
export const DEV_KUBESIM: KubeSimOptions = { speed: 20, defaultRunMs: 60_000, startDelayMs: 4_000, scenario: FAIL_ON_PURPOSE_SCENARIO, checkMounts: true };

/** Simulated ms from pod creation to container start with real builds: buildah starting is the real delay. */
export const REAL_BUILD_START_DELAY_MS = 0;

/**
 * The registry Secrets the examples name, so their pods mount (kubesim checks mounts).
 * Scripted builds push nowhere: the credentials inside are empty.
 */
function createDevSecrets(sim: KubeSim, namespace: string): void {
  for (const name of DEV_SECRETS) {
    sim.control.store.create("secrets", namespace, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name },
      type: "kubernetes.io/dockerconfigjson",
      data: { ".dockerconfigjson": Buffer.from(JSON.stringify({ auths: {} })).toString("base64") },
    });
  }
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stateDir = resolve(options.stateDir ?? DEFAULT_STATE_DIR);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const logLevel = options.logLevel ?? "info";
  const logger = createLogger({ name: "buildfleet-dev", level: logLevel });
  const cleanups: { name: string; run: () => Promise<void> }[] = [];
  const watchdog = createWatchdog();
  const stopAll = async (): Promise<void> => {
    // Stopping on purpose is not a death: stop watching first.
    await watchdog.close();
    // Reverse order: the worker first (it holds builds), Redis last.
    for (const c of cleanups.reverse()) {
      await c.run().catch((err: unknown) => logger.warn({ component: c.name, err: { message: String(err) } }, "stop failed"));
    }
  };
  try {
    let redis: TestRedis;
    if (options.redisUrl !== undefined) redis = { url: options.redisUrl, source: "env", stop: async () => {} };
    else redis = await startRedis();
    cleanups.push({ name: "redis", run: () => redis.stop() });

    let sim: KubeSim | undefined;
    let realBuilds: RealBuilds | undefined;
    let kubeconfigPath: string;
    if (options.kubeconfig !== undefined) {
      kubeconfigPath = resolve(options.kubeconfig);
    } else {
      if (options.realBuilds !== undefined && options.realBuilds !== false) {
        const started = await startRealBuilds(options.realBuilds === true ? {} : options.realBuilds);
        realBuilds = started;
        cleanups.push({ name: "registry", run: () => started.stop() });
      }
      // A real build's container starts when buildah does: no simulated pull-and-start delay on top.
      const real = realBuilds ? { realBuilds: realBuilds.kubesim, startDelayMs: REAL_BUILD_START_DELAY_MS } : {};
      sim = await startKubeSim({ ...DEV_KUBESIM, ...real, ...options.kubesim });
      const s = sim;
      cleanups.push({ name: "kubesim", run: () => s.close() });
      if (realBuilds) await realBuilds.prepareCluster(sim, options.env?.["BUILD_NAMESPACE"] ?? "buildfleet");
      else createDevSecrets(sim, options.env?.["BUILD_NAMESPACE"] ?? "buildfleet");
      kubeconfigPath = join(stateDir, "kubesim.kubeconfig");
      await writeFile(kubeconfigPath, sim.kubeconfigYaml, { mode: 0o600 });
    }

    const prefix = options.prefix ?? DEFAULT_PREFIX;
    const workerPort = await freeLoopbackPort();
    const env: Record<string, string> = {
      REDIS_URL: redis.url,
      BUILDFLEET_PREFIX: prefix,
      KUBECONFIG: kubeconfigPath,
      BUILD_NAMESPACE: "buildfleet",
      API_HOST: "127.0.0.1",
      API_PORT: String(options.apiPort ?? 0),
      WORKER_HTTP_HOST: "127.0.0.1",
      WORKER_HTTP_PORT: String(workerPort),
      LOG_LEVEL: logLevel,
      // Small numbers so a stopped or restarted stack recovers in seconds, not minutes.
      SHUTDOWN_TIMEOUT_MS: "5000",
      RESYNC_INTERVAL_MS: "5000",
      LOCK_DURATION_MS: "15000",
      // Webhook receivers on this machine (a local test server) are the point of a dev stack.
      BUILDFLEET_WEBHOOKS_ALLOW_HTTP: "true",
      BUILDFLEET_WEBHOOKS_ALLOWED_HOSTS: "127.0.0.1,localhost,::1",
      ...options.env,
    };
    const config = loadConfig(env);
    const token = newDevToken();
    const tokens = new TokenTable([
      TokenEntry.parse(devTokenEntry(token, options.registries ?? DEV_REGISTRIES, options.rateLimit)),
      ...(options.extraTokens ?? []),
    ]);

    const worker: WorkerProcess = await startWorkerProcess({
      env,
      healthPort: workerPort,
      ...(options.onWorkerOutput ? { onOutput: options.onWorkerOutput } : {}),
    });
    cleanups.push({ name: "worker", run: () => worker.stop(config.worker.shutdownTimeoutMs + 2_000) });
    void worker.exited.then((how) => watchdog.report(`the worker process exited (${how})`));
    watchdog.watchRedis(redis.url);

    const workerMetricsUrl = `http://127.0.0.1:${workerPort}/metrics`;
    const api: RunningApi = await startApi(config, logger.child({ component: "api" }), { tokens, ...(options.ui ? { ui: options.ui } : {}) });
    const uiUrl = `${api.url}/ui/`;
    cleanups.push({ name: "api", run: () => api.close(5_000) });

    let envFile: string | undefined;
    if (options.writeEnvFile ?? true) {
      const file = join(stateDir, "dev.env");
      const text = renderDevEnv({
        url: api.url,
        token,
        kubeconfig: kubeconfigPath,
        workerMetricsUrl,
        uiUrl,
        ...(realBuilds ? { registryUrl: realBuilds.registry.url } : {}),
      });
      await writeFile(file, text, { mode: 0o600 });
      envFile = file;
      // Remove it on stop, unless another stack has written its own since.
      cleanups.unshift({
        name: "dev.env",
        run: async () => {
          if ((await readFile(file, "utf8").catch(() => "")) === text) await rm(file, { force: true });
        },
      });
    }

    let stopped: Promise<void> | undefined;
    return {
      url: api.url,
      uiUrl,
      token,
      tenant: DEV_TENANT,
      redisUrl: redis.url,
      prefix,
      kubeconfigPath,
      envFile,
      workerMetricsUrl,
      sim,
      realBuilds,
      died: watchdog.died,
      stop: () => (stopped ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
