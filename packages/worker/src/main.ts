#!/usr/bin/env node
import { createLogger, loadWorkerConfig, redactUrl, startTracing } from "@buildfleet/shared";
import { createK8sApi } from "./k8s/client.js";
import { loadKubeConfig } from "./k8s/kubeconfig.js";
import { RebuildCoordinator } from "./rebuilds/coordinator.js";
import { Scheduler } from "./schedules/scheduler.js";
import { secretReader } from "./schedules/secret-reader.js";
import { WorkerService } from "./service.js";

/**
 * Worker process entry point: read config once, one root logger, start the
 * service, and on SIGTERM/SIGINT stop taking work, hand in-flight builds back
 * (their Jobs keep running in the cluster) and exit 0 within the bound.
 */
async function main(): Promise<void> {
  // Only the shared and worker variables: a bad API variable cannot stop the worker.
  const config = loadWorkerConfig(process.env);
  const logger = createLogger({ name: "buildfleet-worker", level: config.log.level });
  logger.info(
    { redis: redactUrl(config.redis.url), prefix: config.redis.prefix, namespace: config.builds.namespace },
    "starting worker",
  );
  // Before the BullMQ worker is made: it gets its telemetry only when tracing is on.
  const tracing = await startTracing("buildfleet-worker");
  if (tracing.enabled) logger.info("exporting traces over OTLP");
  const kubeConfig = loadKubeConfig(config.kubernetes);
  const service = new WorkerService({ config, logger, kubeConfig });
  // Rebuild waves advance from the build events stream; every worker replica joins one consumer group.
  const rebuilds = new RebuildCoordinator({ config, logger });
  // Schedules fire from every replica; a per-schedule lock and the firing idempotency key keep it to one build.
  // Its own small adapter: it only reads the registry-credentials Secrets mirrors name.
  const schedulerK8s = createK8sApi(kubeConfig, { namespace: config.builds.namespace, requestTimeoutMs: config.kubernetes.requestTimeoutMs, maxSockets: 4 });
  const scheduler = new Scheduler({ config, logger, readSecret: secretReader(schedulerK8s) });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const hardExit = setTimeout(() => {
      logger.error("shutdown exceeded its bound; exiting");
      process.exit(1);
    }, config.worker.shutdownTimeoutMs + 2_000);
    hardExit.unref();
    Promise.all([service.stop(), rebuilds.stop(), scheduler.stop().then(() => schedulerK8s.close?.())])
      .then(() => tracing.shutdown().catch(() => undefined))
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  // Sidekiq's TSTP: quiet (no new builds; in-flight ones are followed to the end). `buildfleet workers resume ID` undoes it.
  process.on("SIGTSTP", () => {
    logger.info({ signal: "SIGTSTP" }, "going quiet");
    void service.presence.quietSelf();
  });

  await service.start();
  await rebuilds.start();
  await scheduler.start();
}

main().catch((err: unknown) => {
  // Config errors carry their own readable message; anything else is unexpected.
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`buildfleet-worker: ${message}\n`);
  process.exit(1);
});
