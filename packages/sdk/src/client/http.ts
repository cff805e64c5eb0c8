import { ApiError, ConnectionError, apiErrorFrom } from "./errors.js";

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
}

export interface CallOptions {
  method?: string;
  query?: URLSearchParams;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Keep the body open after the headers (logs follow, events). */
  stream?: boolean;
}

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

  /** Sends a request and returns the response when it is 2xx; throws ApiError or ConnectionError. */
  async call(path: string, call: CallOptions = {}): Promise<Response> {
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
