import { TERMINAL_STATES } from "@buildfleet/contract";
import { ApiError, BuildCancelledError, BuildFailedError, TimeoutError } from "./errors.js";
import { Http, type FetchLike } from "./http.js";
import { ImagesApi, RebuildsApi } from "./catalog-api.js";
import { SchedulesApi } from "./schedules-api.js";
import type { BuildList, BuildRecord, BuildRequestInput, BuildState, BuildSummary, BuildView, QueueView, StreamedEvent } from "./types.js";
import { streamEvents, type EventsOptions } from "../streams/events.js";
import { replayBuildEvents } from "../streams/build-events.js";
import { splitLines, textChunks } from "../streams/lines.js";
import { abortableDelay } from "../streams/delay.js";
import type { BulkAnswer, BulkSelector, DrainAnswer, DrainOptions, WorkerInfo } from "../fleet/types.js";
import { WebhooksApi } from "../webhooks/webhooks-api.js";

export interface BuildfleetClientOptions {
  /** e.g. http://127.0.0.1:8080 (paths /v1/… are appended). */
  baseUrl: string;
  token?: string;
  /** Defaults to the global fetch. */
  fetch?: FetchLike;
  /** Deadline for each call (for streams: until the headers arrive). Default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
  /**
   * 429 Too Many Requests: reads (and a submit with an idempotency key) wait
   * the server's Retry-After and try again, this many times (default 3); a
   * submit without a key is never repeated.
   */
  rateLimitRetries?: number;
}

export interface SubmitOptions {
  /** Sent as the Idempotency-Key header; overrides `idempotencyKey` in the request. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface ListOptions {
  state?: BuildState | readonly BuildState[];
  /** `key=value` selectors (all must match), as strings or a map. */
  label?: string | readonly string[] | Readonly<Record<string, string>>;
  limit?: number;
  cursor?: string;
  signal?: AbortSignal;
}

export interface LogsOptions {
  follow?: boolean;
  /** The last this many lines (of those `sinceTime`/`sinceSeconds` keep). */
  tail?: number;
  /** Only lines written at or after this time (a `Date` or an RFC 3339 string). */
  sinceTime?: Date | string;
  /** Only lines written in the last this many seconds, by the API's clock (not with `sinceTime`). */
  sinceSeconds?: number;
  /** Each line starts with the time it was written (RFC 3339) and a space, as `kubectl logs --timestamps`. */
  timestamps?: boolean;
  signal?: AbortSignal;
}

export interface WaitForOptions {
  /** Give up after this long with a TimeoutError (default 30 minutes). */
  timeout?: number;
  signal?: AbortSignal;
  /**
   * How often to look at the build when no event arrives (default 5 s). Events
   * wake the wait at once; the poll covers a stream that could not connect.
   */
  pollIntervalMs?: number;
  /** Called with the build each time its state is seen to change. */
  onState?: (build: BuildRecord) => void;
  /**
   * Follow the build's event stream to notice changes at once (default true).
   * Each follow holds one SSE connection (and one Redis reader in the API):
   * a producer waiting on hundreds of builds should pass false and rely on
   * `pollIntervalMs`, or read one `events()` stream itself.
   */
  followEvents?: boolean;
}

const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_STATES);

export class BuildfleetClient {
  private readonly http: Http;
  private readonly fetchImpl: FetchLike;
  /** The image catalog (issue 13). */
  readonly images: ImagesApi;
  /** Rebuild waves (issue 13). */
  readonly rebuilds: RebuildsApi;
  /** The tenant's webhooks and their deliveries. */
  readonly webhooks: WebhooksApi;
  /** Schedules and registry mirrors (issue 14). */
  readonly schedules: SchedulesApi;

  constructor(options: BuildfleetClientOptions) {
    if (!/^https?:\/\//.test(options.baseUrl)) {
      throw new TypeError(`baseUrl must be an http:// or https:// URL, got ${JSON.stringify(options.baseUrl)}`);
    }
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.http = new Http({
      baseUrl: options.baseUrl,
      token: options.token,
      fetch: this.fetchImpl,
      timeoutMs: options.timeoutMs ?? 30_000,
      userAgent: options.userAgent ?? "buildfleet-sdk/0.1",
      ...(options.rateLimitRetries !== undefined ? { rateLimitRetries: options.rateLimitRetries } : {}),
    });
    this.images = new ImagesApi(this.http);
    this.rebuilds = new RebuildsApi(this.http);
    this.webhooks = new WebhooksApi(this.http);
    this.schedules = new SchedulesApi(this.http);
  }

  /** Submits a build. The API validates it; a 400 arrives as an ApiError with `issues`. */
  async submit(request: BuildRequestInput | Record<string, unknown>, options: SubmitOptions = {}): Promise<BuildSummary> {
    const headers: Record<string, string> = {};
    if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey;
    // Only a keyed submit may be repeated after a 429: the key makes the repeat return the same build.
    const keyed = options.idempotencyKey !== undefined || typeof (request as { idempotencyKey?: unknown }).idempotencyKey === "string";
    const { body } = await this.http.json<BuildSummary>("/v1/builds", { method: "POST", body: request, headers, signal: options.signal, repeatable: keyed });
    return body;
  }

  async get(id: string, options: { signal?: AbortSignal } = {}): Promise<BuildView> {
    return (await this.http.json<BuildView>(`/v1/builds/${encodeURIComponent(id)}`, { signal: options.signal, repeatable: true })).body;
  }

  async list(options: ListOptions = {}): Promise<BuildList> {
    const query = new URLSearchParams();
    for (const s of toArray(options.state)) query.append("state", s);
    const labels = options.label;
    if (typeof labels === "string" || Array.isArray(labels)) {
      for (const l of toArray(labels as string | readonly string[])) query.append("label", l);
    } else if (labels !== undefined) {
      for (const [k, v] of Object.entries(labels)) query.append("label", `${k}=${v}`);
    }
    if (options.limit !== undefined) query.set("limit", String(options.limit));
    if (options.cursor !== undefined) query.set("cursor", options.cursor);
    return (await this.http.json<BuildList>("/v1/builds", { query, signal: options.signal, repeatable: true })).body;
  }

  /** Asks for a cancel; a queued build comes back `cancelled`, a live one with `cancelRequestedAt`. */
  async cancel(id: string, options: { signal?: AbortSignal } = {}): Promise<BuildRecord> {
    const path = `/v1/builds/${encodeURIComponent(id)}/cancel`;
    return (await this.http.json<BuildRecord>(path, { method: "POST", signal: options.signal })).body;
  }

  /** The build's log lines; with `follow`, new lines until the build is finished. */
  async *logs(id: string, options: LogsOptions = {}): AsyncGenerator<string> {
    const query = new URLSearchParams();
    if (options.follow) query.set("follow", "true");
    if (options.tail !== undefined) query.set("tail", String(options.tail));
    if (options.sinceTime !== undefined) query.set("sinceTime", options.sinceTime instanceof Date ? options.sinceTime.toISOString() : options.sinceTime);
    if (options.sinceSeconds !== undefined) query.set("sinceSeconds", String(options.sinceSeconds));
    if (options.timestamps) query.set("timestamps", "true");
    const res = await this.http.call(`/v1/builds/${encodeURIComponent(id)}/logs`, {
      query,
      headers: { accept: "text/plain" },
      signal: options.signal,
      stream: true,
      repeatable: true,
    });
    if (!res.body) return;
    yield* splitLines(textChunks(res.body));
  }

  /**
   * Build events (Server-Sent Events). For one build (`buildId`, no `since`):
   * its history, then new events, ending after its terminal event; `follow`
   * gives only new events without an end. After a dropped
   * connection it reconnects with `Last-Event-ID`, so no event is lost or
   * repeated; gives up after `maxRetries` failed reconnects in a row.
   */
  events(options: EventsOptions = {}): AsyncGenerator<StreamedEvent> {
    if (options.buildId !== undefined && options.since === undefined && !options.follow) {
      return replayBuildEvents(this.http, options.buildId, options);
    }
    return streamEvents(this.http, options);
  }

  async queue(options: { signal?: AbortSignal } = {}): Promise<QueueView> {
    return (await this.http.json<QueueView>("/v1/queue", { signal: options.signal, repeatable: true })).body;
  }

  async pauseQueue(options: { signal?: AbortSignal } = {}): Promise<QueueView> {
    return (await this.http.json<QueueView>("/v1/queue/pause", { method: "POST", signal: options.signal })).body;
  }

  async resumeQueue(options: { signal?: AbortSignal } = {}): Promise<QueueView> {
    return (await this.http.json<QueueView>("/v1/queue/resume", { method: "POST", signal: options.signal })).body;
  }

  /** Starts (or repeats) a drain: the queue pauses, running builds finish (admin). */
  async drainQueue(options: DrainOptions = {}): Promise<DrainAnswer> {
    const body = {
      ...(options.cancelQueued !== undefined ? { cancelQueued: options.cancelQueued } : {}),
      ...(options.rejectNew !== undefined ? { rejectNew: options.rejectNew } : {}),
      ...(options.reason !== undefined ? { reason: options.reason } : {}),
    };
    return (await this.http.json<DrainAnswer>("/v1/queue/drain", { method: "POST", body, signal: options.signal })).body;
  }

  /** Cancels every build a selector matches (each through the normal cancel path). */
  async bulkCancel(selector: BulkSelector): Promise<BulkAnswer> {
    return this.bulk("/v1/bulk/cancel", selector);
  }

  /** Retries every finished build a selector matches (state defaults to failed); each at most once. */
  async bulkRetry(selector: BulkSelector): Promise<BulkAnswer> {
    return this.bulk("/v1/bulk/retry", selector);
  }

  /** Submits a finished build's request again as a new build recording `retryOf` (a repeat returns the same retry). */
  async retry(id: string, options: { signal?: AbortSignal } = {}): Promise<BuildSummary & { retryOf: string }> {
    const path = `/v1/builds/${encodeURIComponent(id)}/retry`;
    return (await this.http.json<BuildSummary & { retryOf: string }>(path, { method: "POST", signal: options.signal })).body;
  }

  private async bulk(path: string, s: BulkSelector): Promise<BulkAnswer> {
    const state = s.state === undefined ? undefined : typeof s.state === "string" ? s.state : [...s.state];
    const body = {
      ...(s.selector !== undefined ? { selector: s.selector } : {}),
      ...(state !== undefined ? { state } : {}),
      ...(s.tenant !== undefined ? { tenant: s.tenant } : {}),
      ...(s.dryRun ? { dryRun: true } : {}),
      ...(s.all ? { all: true } : {}),
    };
    return (await this.http.json<BulkAnswer>(path, { method: "POST", body, signal: s.signal })).body;
  }

  /** The fleet's workers as they last reported (admin). */
  async workers(options: { signal?: AbortSignal } = {}): Promise<WorkerInfo[]> {
    return (await this.http.json<{ items: WorkerInfo[] }>("/v1/workers", { signal: options.signal })).body.items;
  }

  /** Asks a worker to go quiet (no new builds; in-flight ones finish) or to resume (admin). */
  async setWorkerQuiet(id: string, quiet: boolean, options: { signal?: AbortSignal } = {}): Promise<WorkerInfo & { wanted: string }> {
    const path = `/v1/workers/${encodeURIComponent(id)}/${quiet ? "quiet" : "resume"}`;
    return (await this.http.json<WorkerInfo & { wanted: string }>(path, { method: "POST", signal: options.signal })).body;
  }

  /**
   * Resolves with the build once it succeeded; throws BuildFailedError (with
   * the failure reason) or BuildCancelledError when it ended otherwise, and
   * TimeoutError when `timeout` passes first. Follows the build's events to
   * notice the end at once, and re-reads the build on every event and every
   * `pollIntervalMs`, so a missed or late event cannot make it hang.
   */
  async waitFor(id: string, options: WaitForOptions = {}): Promise<BuildView> {
    const timeoutMs = options.timeout ?? 30 * 60_000;
    const pollMs = options.pollIntervalMs ?? 5_000;
    const stop = new AbortController();
    const onOuterAbort = (): void => stop.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onOuterAbort, { once: true });
    const timer = setTimeout(() => stop.abort(new TimeoutError(id, timeoutMs)), timeoutMs);
    let wake: (() => void) | undefined;
    // Events only wake the loop; the build record is the truth.
    const follower = (async () => {
      if (options.followEvents === false) return;
      try {
        for await (const _ of this.events({ buildId: id, follow: true, signal: stop.signal })) wake?.();
      } catch {
        // The stream gave up: polling alone still finishes the wait.
      }
    })();
    let lastState: string | undefined;
    try {
      for (;;) {
        const next = new Promise<void>((resolve) => (wake = resolve));
        let build: BuildView;
        try {
          build = await this.get(id, { signal: stop.signal });
        } catch (err) {
          // Still rate limited after get()'s own retries: keep waiting (the timeout bounds it).
          if (!(err instanceof ApiError && err.status === 429)) throw err;
          await abortableDelay(Math.max(pollMs, (err.retryAfterSeconds ?? 1) * 1_000), stop.signal);
          continue;
        }
        if (build.state !== lastState) {
          lastState = build.state;
          options.onState?.(build);
        }
        if (TERMINAL.has(build.state)) {
          if (build.state === "failed") throw new BuildFailedError(build);
          if (build.state === "cancelled") throw new BuildCancelledError(build);
          return build;
        }
        await Promise.race([next, abortableDelay(pollMs, stop.signal)]);
      }
    } catch (err) {
      if (stop.signal.aborted && stop.signal.reason instanceof TimeoutError) throw stop.signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onOuterAbort);
      stop.abort();
      await follower;
    }
  }
}

function toArray<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}
