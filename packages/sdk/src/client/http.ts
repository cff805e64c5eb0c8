import { ApiError, ConnectionError, apiErrorFrom } from "./errors.js";
import { abortableDelay } from "../streams/delay.js";

/**
 * The one place that calls fetch: base URL, bearer token, a deadline on every
 * call, and error bodies turned into ApiError. Streaming calls get the
 * deadline only until the response headers arrive.
 */

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpOptions {
  baseUrl: string;
  token: string | undefined;
  fetch: FetchLike;
  timeoutMs: number;
  userAgent: string;
  /** 429 answers retried per call when the call may be repeated (default 3). */
  rateLimitRetries?: number;
  /** Longest Retry-After honoured; a longer one is thrown at once (default 60 s). */
  maxRetryAfterMs?: number;
}

export interface CallOptions {
  method?: string;
  query?: URLSearchParams;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Keep the body open after the headers (logs follow, events). */
  stream?: boolean;
  /**
   * Whether a 429 may be waited out and the call sent again: reads, and a
   * submit that carries its idempotency key (a repeat cannot start a second build).
   */
  repeatable?: boolean;
}

/** Wait before retrying a 429 without Retry-After. */
const DEFAULT_RETRY_AFTER_MS = 1_000;

export class Http {
  private readonly base: string;

  constructor(private readonly options: HttpOptions) {
    // "http://host/prefix/" and "http://host/prefix" mean the same base.
    this.base = options.baseUrl.replace(/\/+$/, "");
  }

  url(path: string, query?: URLSearchParams): string {
    const qs = query && query.size > 0 ? `?${query.toString()}` : "";
    return `${this.base}${path}${qs}`;
  }

  /**
   * Sends a request and returns the response when it is 2xx; throws ApiError
   * or ConnectionError. A repeatable call answered 429 is sent again after the
   * server's Retry-After, a bounded number of times.
   */
  async call(path: string, call: CallOptions = {}): Promise<Response> {
    const retries = call.repeatable ? (this.options.rateLimitRetries ?? 3) : 0;
    const maxWait = this.options.maxRetryAfterMs ?? 60_000;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(path, call);
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 429 || attempt >= retries) throw err;
        const waitMs = err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1_000 : DEFAULT_RETRY_AFTER_MS;
        if (waitMs > maxWait) throw err;
        // A little jitter so that clients limited together do not come back together.
        await abortableDelay(waitMs + Math.random() * 250, call.signal);
      }
    }
  }

  private async once(path: string, call: CallOptions): Promise<Response> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(call.signal?.reason);
    if (call.signal?.aborted) throw call.signal.reason ?? new Error("aborted");
    call.signal?.addEventListener("abort", onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    const headers: Record<string, string> = { accept: "application/json", "user-agent": this.options.userAgent, ...call.headers };
    if (this.options.token !== undefined) headers["authorization"] = `Bearer ${this.options.token}`;
    let body: string | undefined;
    if (call.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(call.body);
    }
    const release = (): void => {
      clearTimeout(timer);
      call.signal?.removeEventListener("abort", onAbort);
    };
    const url = this.url(path, call.query);
    try {
      const res = await this.options.fetch(url, {
        method: call.method ?? "GET",
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: controller.signal,
      });
      if (!res.ok) {
        const text = await res.text().catch(() => "");
        throw apiErrorFrom(res.status, text, res.headers.get("retry-after"));
      }
      if (call.stream) {
        // The deadline covered connecting; the body may now stay open as long as the caller reads.
        clearTimeout(timer);
        return res;
      }
      // Read the whole body under the deadline, then hand back a fresh Response.
      const text = await res.text();
      return new Response(text === "" ? null : text, { status: res.status, headers: res.headers });
    } catch (err) {
      release();
      if (err instanceof ApiError) throw err;
      if (call.signal?.aborted) throw call.signal.reason ?? err;
      if (timedOut) throw new ConnectionError(`${call.method ?? "GET"} ${url}: no answer within ${this.options.timeoutMs} ms`, { cause: err });
      throw new ConnectionError(`${call.method ?? "GET"} ${url}: ${describe(err)}`, { cause: err });
    } finally {
      // A streaming body stays tied to the caller's signal: aborting it ends the read.
      if (!call.stream) release();
    }
  }

  async json<T>(path: string, call: CallOptions = {}): Promise<{ status: number; body: T }> {
    const res = await this.call(path, call);
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as T };
    } catch (err) {
      throw new ConnectionError(`${path}: the API answered ${res.status} with a body that is not JSON`, { cause: err });
    }
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // undici hides the useful part (ECONNREFUSED …) in `cause`.
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.message !== "") return `${err.message} (${cause.message})`;
  return err.message;
}
