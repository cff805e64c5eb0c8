export { createLogger, redactUrl, REDACT_PATHS, LOG_LEVELS } from "./logging/logger.js";
export type { Logger, LogLevel, CreateLoggerOptions } from "./logging/logger.js";
export { keyspace, prefixProblem, DEFAULT_PREFIX } from "./redis/keyspace.js";
export type { Keyspace } from "./redis/keyspace.js";
export { createWorkerConnection, createProducerConnection, waitForReady } from "./redis/connections.js";
export type { Redis } from "./redis/connections.js";
export { parseRedisUrl, RedisUrlError } from "./redis/redis-url.js";
export type { RedisTarget } from "./redis/redis-url.js";
export { loadConfig, DEFAULT_KANIKO_IMAGE } from "./config/config.js";
export type { BuildfleetConfig } from "./config/config.js";
export { loadApiConfig, loadWorkerConfig } from "./config/config.js";
export type { ApiConfig, WorkerConfig } from "./config/config.js";
export { BuildStore } from "./builds/build-store.js";
export type { BuildStoreOptions, StoredBuild, Transition, TransitionResult } from "./builds/build-store.js";
export { EventStream } from "./builds/event-stream.js";
export type { StreamEntry, BuildStreamEntry, RebuildStreamEntry } from "./builds/event-stream.js";
export { BUILD_JOB_NAME, buildJobOptions } from "./queue/build-queue.js";
export { requestCancel } from "./queue/cancel.js";
export type { CancelDeps } from "./queue/cancel.js";
export { submitBuild, recordForQueuedBuild, createOptionsForQueuedBuild } from "./queue/submit.js";
export type { SubmitDeps, SubmitInput, SubmitResult } from "./queue/submit.js";
export { appendBuildLog, readBuildLog, DEFAULT_MAX_LOG_LINES, MAX_LOG_LINE_CHARS } from "./builds/build-logs.js";
export type { BuildLogLine, TimedLogLine } from "./builds/build-logs.js";
export { listBuilds, matchesListQuery } from "./builds/build-list.js";
export type { ListBuildsQuery, ListBuildsPage, ListPosition } from "./builds/build-list.js";
// Rebuild waves (issue 13): the catalog and the wave core keep their export lists in their own index files.
export * from "./catalog/index.js";
export * from "./rebuilds/index.js";
// The queue port (issue 9): lanes behind one interface.
export { BuildQueues, DEFAULT_LANE, JOB_COUNT_STATES } from "./queue/build-queues.js";
export type { BuildQueuesOptions, JobCounts, JobState, QueuedJob } from "./queue/build-queues.js";
// Fleet operations (issue 15): drain, pause ledger, worker registry, bulk operations.
export * from "./fleet/index.js";
export * from "./catalog-store/index.js";
export * from "./rebuild-runner/index.js";
// Outbound URL safety (issue 17): shared by context URLs (api) and webhook targets (api, worker).
export { classifyAddress, hostListed } from "./net/address-kind.js";
export type { AddressKind } from "./net/address-kind.js";
// Webhooks (issue 17): schemas, stores and target policy keep their export list in their own index file.
export * from "./webhooks/index.js";
// Traces (issue 17): off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
export { startTracing, markTracingActive, tracingActive, bullmqTelemetry, buildAttributes, withSpan, activeSpan, TRACER_NAME } from "./tracing/tracing.js";
export type { Tracing } from "./tracing/tracing.js";
// Schedules and mirrors (issue 14).
export * from "./schedules/index.js";
export * from "./admission/index.js";
// Queue position and ETA (issue 15).
export * from "./eta/index.js";
