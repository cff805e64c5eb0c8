import { createLogger, loadApiConfig, startTracing } from "@buildfleet/shared";
import { startApi } from "./start.js";

/** The API process: configuration read once, clean and bounded shutdown on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  // Only the shared and API variables: a bad worker variable cannot stop the API.
  const config = loadApiConfig(process.env);
  const logger = createLogger({ name: "api", level: config.log.level });
  // Before the queue is made: BullMQ gets its telemetry only when tracing is on.
  const tracing = await startTracing("buildfleet-api");
  if (tracing.enabled) logger.info("exporting traces over OTLP");
  const api = await startApi(config, logger);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    api
      .close(config.api.shutdownTimeoutMs)
      .then(() => tracing.shutdown().catch(() => undefined))
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      });
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  // Config and startup errors: say what is wrong and exit non-zero.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
