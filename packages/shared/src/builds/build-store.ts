import type { Redis } from "ioredis";
import {
  BuildEvent,
  BuildRecord,
  canTransition,
  isTerminalState,
  makeBuildEvent,
  typedBuildEvent,
  type BuildEventType,
  type BuildState,
} from "../contract/index.js";
import { ConflictError, InfrastructureError, NotFoundError } from "../errors/index.js";
import type { Keyspace } from "../redis/keyspace.js";
import { decodeIdempotencyValue, encodeIdempotencyValue } from "../queue/request-hash.js";
import { CREATE_BUILD, CREATE_BUILDS, FIND_IDEMPOTENT, UPDATE_BUILD } from "./scripts.js";

/**
 * The build record in Redis is the source of truth the API reads; every state
 * change appends exactly one event to the durable events stream (and to the
 * build's own history) in the same atomic step. Writers use compare-and-set on
 * a version field, so two workers racing on one build — or a worker redelivered
 * after a crash — publish each transition once.
 */

export interface BuildStoreOptions {
  redis: Redis;
  keyspace: Keyspace;
  /** CloudEvents `source` of the events this process publishes, e.g. `/buildfleet/worker`. */
  source: string;
  /** Approximate cap of the events stream (XADD MAXLEN ~). */
  streamMaxLen?: number;
  /** Events kept per build in its history list. */
  historyMax?: number;
  now?: () => Date;
}

/** A state change and the event it publishes. */
export interface Transition {
  to: BuildState;
  /**
   * Identifies this transition for de-duplication: applying the same `to` with
   * the same key twice is a no-op (e.g. `retrying:2` vs `retrying:3`). Defaults to `to`.
   */
  key?: string;
  /**
   * Changes to the record besides the state (attempts, digest, failure …).
   * `at` is this write's time (its updatedAt, and its finishedAt when it ends
   * the build), so times the patch derives stay consistent with the record's.
   */
  patch?: (record: BuildRecord, at: string) => Partial<BuildRecord>;
  /** Apply only from these states (in addition to the state machine's rules). */
  onlyFrom?: readonly BuildState[];
  event: { type: BuildEventType; data: (record: BuildRecord) => Record<string, unknown> };
}

/**
 * A record as last read or written, with the bookkeeping its next
 * compare-and-set needs. A writer that carries it from one transition to the
 * next skips the read before each write; a stale one costs one extra round
 * (the write is refused, the store reads again and re-decides).
 */
export interface StoredBuild {
  record: BuildRecord;
  /** Counts every write of the record hash. */
  version: number;
  /** The sequence number of the build's last event. */
  eventSeq: number;
  /** Key of the last applied transition (de-duplication). */
  tkey: string;
}

export type TransitionResult =
  | { applied: true; record: BuildRecord; event: BuildEvent; streamId: string; stored: StoredBuild }
  | { applied: false; record: BuildRecord; why: "duplicate" | "not-allowed"; stored: StoredBuild };

/** The store's Lua scripts as ioredis commands: sent as EVALSHA (the script body once per connection, not per call). */
interface ScriptCommands {
  buildfleetCreateBuild(...args: (string | number)[]): Promise<[number, string]>;
  buildfleetUpdateBuild(...args: (string | number)[]): Promise<[number, string]>;
  buildfleetCreateBuilds(numberOfKeys: number, ...args: (string | number)[]): Promise<(string | number)[]>;
  buildfleetFindIdempotent(numberOfKeys: number, ...keys: string[]): Promise<unknown>;
}

const MAX_CAS_ROUNDS = 20;

/** Builds per CREATE_BUILDS call: Redis runs nothing else while a script runs, so each call stays short. */
const CREATE_BATCH = 200;

export interface CreateOptions {
  idempotencyKey?: string;
  idempotencyTtlSeconds?: number;
  requestHash?: string;
}

export type CreateResult =
  | { created: true; record: BuildRecord; streamId: string; stored: StoredBuild }
  | { created: false; buildId: string; requestHash: string | undefined };

function createResult(valid: BuildRecord, created: number, value: string): CreateResult {
  if (created === 1) {
    return { created: true, record: valid, streamId: value, stored: { record: valid, version: 1, eventSeq: 1, tkey: valid.state } };
  }
  return { created: false, ...decodeIdempotencyValue(value) };
}

/**
 * The record without its request. The request is validated in full when the
 * build is created and on every `get()`, and never changes afterwards; the
 * compare-and-set loop of a transition (the hot path from a Job's terminal
 * condition to its event) validates everything else, which costs a fraction.
 */
const RecordWithoutRequest = BuildRecord.omit({ request: true });

function checkedRecord(candidate: BuildRecord): BuildRecord {
  const { request, ...rest } = candidate;
  return { ...RecordWithoutRequest.parse(rest), request };
}

export class BuildStore {
  private readonly redis: Redis & ScriptCommands;
  private readonly ks: Keyspace;
  private readonly source: string;
  private readonly streamMaxLen: number;
  private readonly historyMax: number;
  private readonly now: () => Date;

  constructor(options: BuildStoreOptions) {
    // defineCommand gives EVALSHA with a fallback to EVAL on NOSCRIPT (after a Redis restart or failover).
    options.redis.defineCommand("buildfleetCreateBuild", { numberOfKeys: 5, lua: CREATE_BUILD });
    options.redis.defineCommand("buildfleetUpdateBuild", { numberOfKeys: 3, lua: UPDATE_BUILD });
    // Key count per call: the batch's size.
    options.redis.defineCommand("buildfleetCreateBuilds", { lua: CREATE_BUILDS });
    options.redis.defineCommand("buildfleetFindIdempotent", { lua: FIND_IDEMPOTENT });
    this.redis = options.redis as Redis & ScriptCommands;
    this.ks = options.keyspace;
    this.source = options.source;
    this.streamMaxLen = options.streamMaxLen ?? 100_000;
    this.historyMax = options.historyMax ?? 200;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Creates a queued build and publishes `build.queued`. With an idempotency
   * key, a second create with the same (tenant, key) returns the first build's id.
   */
  async create(record: BuildRecord, options: CreateOptions = {}): Promise<CreateResult> {
    const { valid, keys, args } = this.createCall(record, options);
    const [created, value] = await this.redis.buildfleetCreateBuild(...keys, ...args);
    return createResult(valid, created, value);
  }

  /**
   * `create` for many builds, in a few calls (CREATE_BUILDS, CREATE_BATCH
   * builds each) instead of one per build; each build is created or not
   * exactly as by `create`. Answers in order.
   *
   * `checked`: the caller made the records from parts it validated (see
   * submitBuilds: its items are checked as they enter, the records are
   * recordForQueuedBuild's of them); they are not parsed a second time. A
   * wave's level is thousands of records, and the parse was a large part of
   * writing them.
   */
  async createMany(builds: readonly { record: BuildRecord; options?: CreateOptions }[], { checked = false }: { checked?: boolean } = {}): Promise<CreateResult[]> {
    const calls = builds.map((b) => this.createCall(b.record, b.options ?? {}, checked));
    const chunks: (typeof calls)[] = [];
    for (let i = 0; i < calls.length; i += CREATE_BATCH) chunks.push(calls.slice(i, i + CREATE_BATCH));
    const replies = await Promise.all(
      chunks.map(async (chunk) => {
        // CREATE_BUILDS' layout: the shared keys and arguments once, then each build's own.
        const keys: string[] = [this.ks.events, this.ks.buildIndex];
        const args: (string | number)[] = [this.streamMaxLen, this.historyMax];
        for (const { keys: k, args: a } of chunk) {
          keys.push(k[0]!, k[2]!, k[4]!);
          args.push(a[0]!, a[1]!, a[2]!, a[4]!, a[5]!, a[6]!, a[8]!);
        }
        const reply = await this.redis.buildfleetCreateBuilds(keys.length, ...keys, ...args);
        return chunk.map((c, i) => createResult(c.valid, Number(reply[2 * i]), String(reply[2 * i + 1])));
      }),
    );
    return replies.flat();
  }

  /** CREATE_BUILD's keys and arguments for one build, from its checked record and its first event. */
  private createCall(record: BuildRecord, options: CreateOptions, checked = false): { valid: BuildRecord; keys: string[]; args: (string | number)[] } {
    // The request was validated at the boundary (a typed BuildRequest); the rest is checked here unless the caller did.
    const valid = checked ? (record.sequence === 1 ? record : { ...record, sequence: 1 }) : checkedRecord({ ...record, sequence: 1 });
    // Its data is copied from the record just checked.
    const event = typedBuildEvent("build.queued", {
      buildId: valid.id,
      sequence: 1,
      source: this.source,
      time: valid.createdAt,
      data: {
        buildId: valid.id,
        tenant: valid.tenant,
        priority: valid.request.priority,
        destinations: valid.request.destinations,
      },
    });
    const idemKey = options.idempotencyKey ? this.ks.idempotency(valid.tenant, options.idempotencyKey) : this.ks.build(valid.id);
    const ttl = options.idempotencyKey ? (options.idempotencyTtlSeconds ?? 24 * 3600) : 0;
    return {
      valid,
      keys: [this.ks.build(valid.id), this.ks.events, this.history(valid.id), this.ks.buildIndex, idemKey],
      args: [
        JSON.stringify(valid),
        valid.state,
        JSON.stringify(event),
        this.streamMaxLen,
        Date.parse(valid.createdAt),
        valid.id,
        ttl,
        this.historyMax,
        options.requestHash !== undefined ? encodeIdempotencyValue(valid.id, options.requestHash) : valid.id,
      ],
    };
  }

  /** The build an idempotency key (of this tenant) points to, if any. */
  async findByIdempotencyKey(tenant: string, key: string): Promise<string | undefined> {
    return (await this.findIdempotent(tenant, key))?.buildId;
  }

  /** The build an idempotency key points to, with the hash of the request it was first used for. */
  async findIdempotent(tenant: string, key: string): Promise<{ buildId: string; requestHash: string | undefined } | undefined> {
    const raw = await this.redis.get(this.ks.idempotency(tenant, key));
    return raw === null ? undefined : decodeIdempotencyValue(raw);
  }

  /**
   * For each (tenant, key, build id), in one call: the build the key points
   * to (with its request hash) and whether the build's record exists.
   */
  async findIdempotentMany(
    items: readonly { tenant: string; key: string; buildId: string }[],
  ): Promise<{ existing: { buildId: string; requestHash: string | undefined } | undefined; recorded: boolean }[]> {
    if (items.length === 0) return [];
    const keys = items.flatMap((item) => [this.ks.idempotency(item.tenant, item.key), this.ks.build(item.buildId)]);
    const replies = (await this.redis.buildfleetFindIdempotent(keys.length, ...keys)) as (string | number)[];
    return items.map((_, i) => {
      const raw = replies[2 * i];
      return { existing: typeof raw === "string" && raw !== "" ? decodeIdempotencyValue(raw) : undefined, recorded: replies[2 * i + 1] === 1 };
    });
  }

  /** The record, validated; undefined if there is none. */
  async get(buildId: string): Promise<BuildRecord | undefined> {
    const raw = await this.redis.hget(this.ks.build(buildId), "record");
    return raw === null ? undefined : BuildRecord.parse(JSON.parse(raw));
  }

  /** The build's events, oldest first. */
  async events(buildId: string): Promise<BuildEvent[]> {
    const raw = await this.redis.lrange(this.history(buildId), 0, -1);
    return raw.map((line) => BuildEvent.parse(JSON.parse(line)));
  }

  /** Removes a record that was never enqueued (compensation when the queue add failed). */
  async discard(buildId: string, idempotency?: { tenant: string; key: string }): Promise<void> {
    const keys = [this.ks.build(buildId), this.history(buildId)];
    if (idempotency) keys.push(this.ks.idempotency(idempotency.tenant, idempotency.key));
    await this.redis.multi().del(...keys).zrem(this.ks.buildIndex, buildId).exec();
  }

  /**
   * Applies a state transition and publishes its event, exactly once: a
   * duplicate (same state and key as the last transition) or a transition the
   * state machine forbids (e.g. anything after a terminal state) is a no-op.
   *
   * `from`: the build as this caller last saw it (a previous result's
   * `stored`). The write is still a compare-and-set on its version, so a stale
   * `from` is never applied; the store then reads the build and decides again.
   * A no-op is only ever decided on a fresh read.
   */
  async transition(buildId: string, t: Transition, options: { from?: StoredBuild } = {}): Promise<TransitionResult> {
    const key = t.key ?? t.to;
    let current = options.from ?? (await this.readVersioned(buildId));
    let fresh = options.from === undefined;
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      const noop =
        current.record.state === t.to && current.tkey === key
          ? ("duplicate" as const)
          : !canTransition(current.record.state, t.to) || (t.onlyFrom && !t.onlyFrom.includes(current.record.state))
            ? ("not-allowed" as const)
            : undefined;
      if (noop !== undefined) {
        if (fresh) return { applied: false, record: current.record, why: noop, stored: current };
        current = await this.readVersioned(buildId);
        fresh = true;
        continue;
      }
      const time = this.now().toISOString();
      const sequence = current.eventSeq + 1;
      const next: BuildRecord = checkedRecord({
        ...current.record,
        ...(t.patch?.(current.record, time) ?? {}),
        state: t.to,
        sequence,
        updatedAt: time,
        ...(isTerminalState(t.to) && !current.record.finishedAt ? { finishedAt: time } : {}),
      });
      const event = makeBuildEvent(t.event.type, {
        buildId,
        sequence,
        source: this.source,
        time,
        data: t.event.data(next),
      });
      const [status, value] = await this.compareAndSet(buildId, current.version, next, event, key);
      if (status === 1) {
        return {
          applied: true,
          record: next,
          event,
          streamId: value,
          stored: { record: next, version: current.version + 1, eventSeq: sequence, tkey: key },
        };
      }
      if (status === -1) throw new NotFoundError(`build ${buildId} not found`);
      // status 0: someone else wrote meanwhile; read again and re-decide.
      current = await this.readVersioned(buildId);
      fresh = true;
    }
    throw new ConflictError(`build ${buildId}: too much contention, gave up after ${MAX_CAS_ROUNDS} rounds`);
  }

  /**
   * The build with its write bookkeeping, for a caller that will apply
   * transitions (`transition(id, t, { from })`). The record's fields are
   * validated; its request is not re-validated (it was at create and never
   * changes) — `get()` validates everything.
   */
  async snapshot(buildId: string): Promise<StoredBuild | undefined> {
    try {
      return await this.readVersioned(buildId);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** Updates record fields without a state change or event (e.g. attempt details). */
  async patch(buildId: string, patch: (record: BuildRecord) => Partial<BuildRecord> | undefined): Promise<BuildRecord> {
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      const current = await this.readVersioned(buildId);
      const changes = patch(current.record);
      if (!changes) return current.record;
      const next = checkedRecord({ ...current.record, ...changes, updatedAt: this.now().toISOString() });
      const [status] = await this.compareAndSet(buildId, current.version, next, undefined, "");
      if (status === 1) return next;
      if (status === -1) throw new NotFoundError(`build ${buildId} not found`);
    }
    throw new ConflictError(`build ${buildId}: too much contention, gave up after ${MAX_CAS_ROUNDS} rounds`);
  }

  /** One atomic write of the record (and its event, if any) if the version is still `version`. */
  private async compareAndSet(
    buildId: string,
    version: number,
    next: BuildRecord,
    event: BuildEvent | undefined,
    transitionKey: string,
  ): Promise<[status: number, streamIdOrVersion: string]> {
    const [status, value] = await this.redis.buildfleetUpdateBuild(
      this.ks.build(buildId),
      this.ks.events,
      this.history(buildId),
      String(version),
      JSON.stringify(next),
      next.state,
      event ? JSON.stringify(event) : "",
      this.streamMaxLen,
      buildId,
      transitionKey,
      this.historyMax,
    );
    return [status, value];
  }

  private history(buildId: string): string {
    return `${this.ks.build(buildId)}:events`;
  }

  private async readVersioned(buildId: string): Promise<StoredBuild> {
    const [record, state, version, eventSeq, tkey] = await this.redis.hmget(
      this.ks.build(buildId),
      "record",
      "state",
      "version",
      "eventSeq",
      "tkey",
    );
    if (record === null || record === undefined) throw new NotFoundError(`build ${buildId} not found`);
    if (!state || !version || !eventSeq) {
      throw new InfrastructureError(`build ${buildId}: record hash is missing fields`, { retryable: false });
    }
    return {
      record: checkedRecord(JSON.parse(record) as BuildRecord),
      version: Number(version),
      eventSeq: Number(eventSeq),
      tkey: tkey ?? "",
    };
  }
}
