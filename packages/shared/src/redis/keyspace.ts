/**
 * Redis key naming. Every key buildfleet writes — BullMQ's and our own — starts
 * with one prefix that carries a Redis Cluster hash tag (`{buildfleet}`), so all
 * of them land in one hash slot: BullMQ's Lua scripts and our MULTI blocks touch
 * several keys at once and would fail with CROSSSLOT otherwise.
 */

export const DEFAULT_PREFIX = "{buildfleet}";

/** Letters, digits, `_`, `-`, `.`; exactly one `{tag}` with a non-empty tag. */
const PREFIX_PATTERN = /^[A-Za-z0-9_.-]*\{[A-Za-z0-9_.-]+\}[A-Za-z0-9_.-]*$/;

/** Why `prefix` is not usable, or undefined when it is. */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix.length === 0) return "must not be empty";
  if (prefix.length > 64) return "must be at most 64 characters";
  if (!PREFIX_PATTERN.test(prefix)) {
    return "must carry one Redis Cluster hash tag in braces and otherwise only letters, digits, '_', '-', '.' (example: {buildfleet} or prod-{buildfleet})";
  }
  return undefined;
}

export interface Keyspace {
  /** The `prefix` option for every BullMQ Queue, Worker, QueueEvents and FlowProducer. */
  readonly bullPrefix: string;
  /** BullMQ queue of build requests. */
  readonly buildQueue: string;
  /** Hash: the build record (source of truth the API reads). */
  build(buildId: string): string;
  /** Redis Stream: durable build events (consumers use consumer groups). */
  readonly events: string;
  /** Capped list: a build's log lines. */
  buildLogs(buildId: string): string;
  /** String: tenant + idempotency key → build id. */
  idempotency(tenant: string, key: string): string;
  /** Sorted set: build ids by creation time (for listing). */
  readonly buildIndex: string;
  /** Pub/sub channel: build ids whose cancel was requested (the owning worker acts). */
  readonly cancelChannel: string;
}

export function keyspace(prefix: string = DEFAULT_PREFIX): Keyspace {
  const problem = prefixProblem(prefix);
  if (problem) throw new Error(`invalid Redis key prefix "${prefix}": ${problem}`);
  return {
    bullPrefix: prefix,
    buildQueue: "builds",
    build: (buildId) => `${prefix}:build:${buildId}`,
    events: `${prefix}:events`,
    buildLogs: (buildId) => `${prefix}:logs:${buildId}`,
    // The key part is validated upstream ([A-Za-z0-9._-]); the tenant is encoded
    // so that no tenant name can collide with another tenant's key.
    idempotency: (tenant, key) => `${prefix}:idem:${encodeURIComponent(tenant)}:${key}`,
    buildIndex: `${prefix}:builds:by-created`,
    cancelChannel: `${prefix}:cancel`,
  };
}
