import { relative } from "node:path";
import { LOG_LEVELS, type LogLevel } from "@buildfleet/shared";
import { realBuildsUnavailable } from "./real-builds.js";
import { startLocalStack } from "./stack.js";

/**
 * `pnpm dev`: the whole of buildfleet on this machine. Prints the API address
 * and a development token, writes .buildfleet/dev.env for the CLI, and stops
 * everything on Ctrl-C (a second Ctrl-C exits at once).
 *
 * Environment: REDIS_URL (use this Redis), API_PORT (default: a free port),
 * LOG_LEVEL (default info), DEV_KUBECONFIG (a real cluster instead of kubesim),
 * DEV_WORKER_LOGS=true (show the worker's log lines), DEV_STATE_DIR (instead of
 * <repo>/.buildfleet), BUILDFLEET_PREFIX (Redis key prefix), REGISTRY_URL (the
 * registry real builds push to; default: a private docker-registry).
 *
 * kubesim builds images for real (buildah + a registry seeded with busybox)
 * when buildah and docker-registry are installed; `pnpm dev --scripted` (or
 * DEV_SCRIPTED=true) keeps the simulated Kaniko.
 */
const level = (process.env["LOG_LEVEL"] ?? "info") as LogLevel;
if (!(LOG_LEVELS as readonly string[]).includes(level)) {
  console.error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  process.exit(2);
}
const showWorker = process.env["DEV_WORKER_LOGS"] === "true";
const scripted = process.argv.slice(2).includes("--scripted") || process.env["DEV_SCRIPTED"] === "true";
const unavailable = realBuildsUnavailable();
const realBuilds = !scripted && !process.env["DEV_KUBECONFIG"] && unavailable === undefined;
if (!scripted && !process.env["DEV_KUBECONFIG"] && unavailable !== undefined) {
  process.stderr.write(`pnpm dev: simulated builds only: ${unavailable}\n`);
}

let stopping = false;
const stack = await startLocalStack({
  ...(process.env["REDIS_URL"] ? { redisUrl: process.env["REDIS_URL"] } : {}),
  ...(process.env["DEV_KUBECONFIG"] ? { kubeconfig: process.env["DEV_KUBECONFIG"] } : {}),
  ...(process.env["API_PORT"] ? { apiPort: Number(process.env["API_PORT"]) } : {}),
  ...(process.env["DEV_STATE_DIR"] ? { stateDir: process.env["DEV_STATE_DIR"] } : {}),
  ...(process.env["BUILDFLEET_PREFIX"] ? { prefix: process.env["BUILDFLEET_PREFIX"] } : {}),
  logLevel: level,
  realBuilds,
  onWorkerOutput: (text) => {
    if (showWorker && !stopping) process.stderr.write(text);
  },
}).catch((err: unknown) => {
  console.error(`pnpm dev: could not start the local stack: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

const cwd = process.env["INIT_CWD"] ?? process.cwd();
const show = (p: string | undefined): string => (p === undefined ? "-" : relative(cwd, p) || p);
process.stdout.write(
  [
    "",
    "buildfleet local stack is up",
    `  API        ${stack.url}`,
    `  dashboard  ${stack.uiUrl}   (sign in with the token below)`,
    `  token      ${stack.token}   (tenant ${stack.tenant}, all scopes)`,
    `  Redis      ${stack.redisUrl}`,
    `  cluster    ${stack.sim ? `kubesim ${stack.sim.url}` : "real cluster"}; KUBECONFIG=${show(stack.kubeconfigPath)}`,
    `  builds     ${stack.realBuilds ? `real (buildah); registry REGISTRY_URL=${stack.realBuilds.registry.url}, seeded with ${stack.realBuilds.seeded.repository}:${stack.realBuilds.seeded.tags.join(",")}` : stack.sim ? "simulated (kubesim scripted Kaniko)" : "the cluster's"}`,
    stack.realBuilds ? `             destinations on registry.internal:5000 and docker.io land in ${stack.realBuilds.registry.host}` : "",
    `  env file   ${show(stack.envFile)}`,
    `  metrics    ${stack.workerMetricsUrl}   (the worker's Prometheus metrics)`,
    "",
    "From another terminal:",
    "  pnpm -s buildfleet submit -f examples/busybox-mirror.yaml --wait   (-s: no pnpm banner on stdout)",
    "  pnpm -s buildfleet ls",
    stack.realBuilds ? `  curl -sI -H 'Accept: application/vnd.oci.image.manifest.v1+json' ${stack.realBuilds.registry.url}/v2/mirror/busybox/manifests/latest` : "",
    stack.sim ? "  (destinations under registry.internal:5000/fail/ fail on purpose)" : "",
    "",
    "Ctrl-C stops everything.",
    "",
  ].join("\n"),
);

const shutdown = (signal: string): void => {
  if (stopping) {
    process.stderr.write("stopping anyway\n");
    process.exit(130);
  }
  stopping = true;
  process.stderr.write(`\n${signal}: stopping the local stack…\n`);
  // Bounded: each part has its own bound; this is the backstop.
  const backstop = setTimeout(() => {
    process.stderr.write("the stack did not stop within 20 s; exiting\n");
    process.exit(1);
  }, 20_000);
  backstop.unref();
  stack.stop().then(
    () => {
      process.stderr.write("stopped\n");
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`stop failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
};
// A part that dies on its own (Redis gone, the worker crashed) ends the stack: said once, stopped cleanly.
void stack.died.then((what) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`\npnpm dev: ${what}; stopping the local stack…\n`);
  const backstop = setTimeout(() => process.exit(1), 20_000);
  backstop.unref();
  void stack.stop().finally(() => {
    process.stderr.write("stopped\n");
    process.exit(1);
  });
});
process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));
