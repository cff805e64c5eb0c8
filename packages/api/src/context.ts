import type { ApiConfig, BuildQueues, BuildStore, Keyspace, Logger, QueueEstimator, Redis } from "@buildfleet/shared";
import type { ResolveHost } from "./auth/resolve-host.js";
import type { EventFanout, FanoutTuning } from "./events/fanout.js";
import type { TokenTable } from "./auth/tokens.js";
import type { ApiMetrics } from "./ops/metrics.js";
import type { UiOptions } from "./ui/register.js";

/** What buildApp needs; the caller owns (and closes) every connection in it. */
export interface ApiDeps {
  config: ApiConfig;
  logger: Logger;
  /** Producer connection (fails fast when Redis is down): reads, writes, publish. */
  redis: Redis;
  /** The queue port: every queue operation of the API goes through it (never a BullMQ Queue). */
  queues: BuildQueues;
  store: BuildStore;
  tokens: TokenTable;
  /**
   * Opens the dedicated connection of the one blocking events reader that
   * serves every SSE client of this app (a blocking XREAD would stall every
   * other command on a shared connection). Called once, on the first stream.
   */
  openStreamConnection: () => Redis;
  /** Bounds of the SSE fan-out (catch-up and per-client queue); blockMs comes from timing.eventsBlockMs. */
  events?: Partial<Omit<FanoutTuning, "blockMs">>;
  timing?: Partial<ApiTiming>;
  /** Resolves the host of a git/https context URL (default: getaddrinfo with a deadline). */
  resolveHost?: ResolveHost;
  /** The dashboard at /ui (issue 16). */
  ui?: UiOptions;
}

export interface ApiTiming {
  /** SSE comment interval that keeps proxies from closing idle streams. */
  keepAliveMs: number;
  /** How long one blocking read of the events stream waits. */
  eventsBlockMs: number;
  /** How often a followed log is polled for new lines. */
  logPollMs: number;
  /** How long the fleet-wide inputs of queue ETAs (slots, workers, recent durations) are reused. */
  etaSnapshotMs: number;
}

export const DEFAULT_TIMING: ApiTiming = { keepAliveMs: 15_000, eventsBlockMs: 5_000, logPollMs: 500, etaSnapshotMs: 1000 };

/** Shared by the route modules of one app. */
export interface ApiContext extends Omit<ApiDeps, "timing" | "resolveHost" | "events"> {
  resolveHost: ResolveHost;
  /** The one events reader of this app, fanning out to its SSE streams. */
  events: EventFanout;
  ks: Keyspace;
  metrics: ApiMetrics;
  /** Queue position and ETA for the submit, retry and build answers. */
  estimator: QueueEstimator;
  timing: ApiTiming;
  /** Aborted when the app closes: streams end instead of holding close() open. */
  closing: AbortSignal;
}
