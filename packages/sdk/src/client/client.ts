import { BuildCancelledError, BuildFailedError, TimeoutError } from "./errors.js";
import { Http, type FetchLike } from "./http.js";
import type { BuildList, BuildRecord, BuildRequestInput, BuildState, BuildSummary, BuildView, QueueView, StreamedEvent } from "./types.js";
import { streamEvents, type EventsOptions } from "../streams/events.js";
import { splitLines, textChunks } from "../streams/lines.js";
import { abortableDelay } from "../streams/delay.js";
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
  tail?: number;
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

const TERMINAL: ReadonlySet<string> = new Set(["succeeded", "failed", "cancelled"]);

export class BuildfleetClient {
  private readonly http: Http;
  private readonly fetchImpl: FetchLike;
  /** The tenant's webhooks and their deliveries. */
  readonly webhooks: WebhooksApi;

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
    });
    this.webhooks = new WebhooksApi(this.http);
  }

  /** Submits a build. The API validates it; a 400 arrives as an ApiError with `issues`. */
  async submit(request: BuildRequestInput | Record<string, unknown>, options: SubmitOptions = {}): Promise<BuildSummary> {
    const headers: Record<string, string> = {};
    if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey;
    const { body } = await this.http.json<BuildSummary>("/v1/builds", { method: "POST", body: request, headers, signal: options.signal });
    return body;
  }

  async get(id: string, options: { signal?: AbortSignal } = {}): Promise<BuildView> {
    return (await this.http.json<BuildView>(`/v1/builds/${encodeURIComponent(id)}`, { signal: options.signal })).body;
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
    return (await this.http.json<BuildList>("/v1/builds", { query, signal: options.signal })).body;
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
    const res = await this.http.call(`/v1/builds/${encodeURIComponent(id)}/logs`, {
      query,
      headers: { accept: "text/plain" },
      signal: options.signal,
      stream: true,
    });
    if (!res.body) return;
    yield* splitLines(textChunks(res.body));
  }

  /**
   * Build events as they happen (Server-Sent Events). After a dropped
   * connection it reconnects with `Last-Event-ID`, so no event is lost or
   * repeated; gives up after `maxRetries` failed reconnects in a row.
   */
  events(options: EventsOptions = {}): AsyncGenerator<StreamedEvent> {
    return streamEvents(this.http, options);
  }

  async queue(options: { signal?: AbortSignal } = {}): Promise<QueueView> {
    return (await this.http.json<QueueView>("/v1/queue", { signal: options.signal })).body;
  }

  async pauseQueue(options: { signal?: AbortSignal } = {}): Promise<QueueView> {
    return (await this.http.json<QueueView>("/v1/queue/pause", { method: "POST", signal: options.signal })).body;
  }

  async resumeQueue(options: { signal?: AbortSignal } = {}): Promise<QueueView> {
    return (await this.http.json<QueueView>("/v1/queue/resume", { method: "POST", signal: options.signal })).body;
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
        for await (const _ of this.events({ buildId: id, signal: stop.signal })) wake?.();
      } catch {
        // The stream gave up: polling alone still finishes the wait.
      }
    })();
    let lastState: string | undefined;
    try {
      for (;;) {
        const next = new Promise<void>((resolve) => (wake = resolve));
        const build = await this.get(id, { signal: stop.signal });
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
