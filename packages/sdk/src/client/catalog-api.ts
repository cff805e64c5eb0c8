import { TimeoutError } from "./errors.js";
import type { Http } from "./http.js";
import type { ApplyResult, ImageGraph, ImageInput, ImageView, RebuildPlan, RebuildRequest, WaveView } from "./catalog-types.js";
import { abortableDelay } from "../streams/delay.js";
import { streamEvents, type EventsOptions } from "../streams/events.js";
import type { StreamedEvent } from "./types.js";

type Signal = { signal?: AbortSignal };
const seg = (s: string) => encodeURIComponent(s);

/** `client.images`: the image catalog. */
export class ImagesApi {
  constructor(private readonly http: Http) {}

  /** Creates or replaces an Image (PUT /v1/images/:name); a cycle answers an ApiError with status 422. */
  async apply(image: ImageInput | Record<string, unknown>, options: Signal = {}): Promise<ApplyResult> {
    const name = (image as { metadata?: { name?: unknown } }).metadata?.name;
    if (typeof name !== "string" || name === "") throw new TypeError("the Image needs metadata.name");
    return (await this.http.json<ApplyResult>(`/v1/images/${seg(name)}`, { method: "PUT", body: image, signal: options.signal })).body;
  }

  async get(name: string, options: Signal = {}): Promise<ImageView> {
    return (await this.http.json<ImageView>(`/v1/images/${seg(name)}`, { signal: options.signal })).body;
  }

  /** `label`: `key=value` selectors, all of which must match. */
  async list(options: Signal & { label?: string | readonly string[] } = {}): Promise<ImageView[]> {
    const query = new URLSearchParams();
    for (const l of typeof options.label === "string" ? [options.label] : (options.label ?? [])) query.append("label", l);
    return (await this.http.json<{ items: ImageView[] }>("/v1/images", { query, signal: options.signal })).body.items;
  }

  async delete(name: string, options: Signal = {}): Promise<void> {
    await this.http.json(`/v1/images/${seg(name)}`, { method: "DELETE", signal: options.signal });
  }

  async graph(options: Signal = {}): Promise<ImageGraph> {
    return (await this.http.json<ImageGraph>("/v1/images/graph", { signal: options.signal })).body;
  }

  /** Graphviz DOT of the catalog's FROM graph. */
  async graphDot(options: Signal = {}): Promise<string> {
    const res = await this.http.call("/v1/images/graph", { query: new URLSearchParams({ format: "dot" }), headers: { accept: "text/vnd.graphviz" }, signal: options.signal });
    return res.text();
  }

  /** Every catalog image below `base` (an Image name or an image reference). */
  async dependents(base: string, options: Signal = {}): Promise<string[]> {
    const query = new URLSearchParams({ base });
    return (await this.http.json<{ dependents: string[] }>("/v1/images/graph/dependents", { query, signal: options.signal })).body.dependents;
  }
}

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

/** `client.rebuilds`: rebuild waves. */
export class RebuildsApi {
  constructor(private readonly http: Http) {}

  /** The dry run: what would rebuild, in which order, pinned to what. Enqueues nothing. */
  async plan(request: RebuildRequest, options: Signal = {}): Promise<RebuildPlan> {
    return (await this.http.json<{ plan: RebuildPlan }>("/v1/rebuilds", { method: "POST", body: { ...request, dryRun: true }, signal: options.signal })).body.plan;
  }

  async start(request: RebuildRequest, options: Signal = {}): Promise<WaveView> {
    return (await this.http.json<WaveView>("/v1/rebuilds", { method: "POST", body: { ...request, dryRun: false }, signal: options.signal })).body;
  }

  async get(id: string, options: Signal = {}): Promise<WaveView> {
    return (await this.http.json<WaveView>(`/v1/rebuilds/${seg(id)}`, { signal: options.signal })).body;
  }

  async list(options: Signal & { limit?: number } = {}): Promise<WaveView[]> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set("limit", String(options.limit));
    return (await this.http.json<{ items: WaveView[] }>("/v1/rebuilds", { query, signal: options.signal })).body.items;
  }

  async cancel(id: string, options: Signal = {}): Promise<WaveView> {
    return (await this.http.json<WaveView>(`/v1/rebuilds/${seg(id)}/cancel`, { method: "POST", signal: options.signal })).body;
  }

  /** Failed, skipped and cancelled nodes again; succeeded digests are kept. */
  async retry(id: string, options: Signal = {}): Promise<WaveView> {
    return (await this.http.json<WaveView>(`/v1/rebuilds/${seg(id)}/retry`, { method: "POST", signal: options.signal })).body;
  }

  /**
   * Resolves with the wave once it is finished (whatever its state: look at
   * `state`), calling `onProgress` each time its counts change; TimeoutError
   * after `timeout` (default 6 hours).
   */
  async waitFor(id: string, options: Signal & { timeout?: number; pollIntervalMs?: number; onProgress?: (wave: WaveView) => void } = {}): Promise<WaveView> {
    const timeoutMs = options.timeout ?? 6 * 3600_000;
    const deadline = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
      const wave = await this.get(id, options);
      const seen = JSON.stringify(wave.counts);
      if (seen !== last) {
        last = seen;
        options.onProgress?.(wave);
      }
      if (TERMINAL.has(wave.state)) return wave;
      if (Date.now() >= deadline) throw new TimeoutError(id, timeoutMs);
      await abortableDelay(Math.min(options.pollIntervalMs ?? 2_000, Math.max(0, deadline - Date.now())), options.signal);
    }
  }

  /**
   * The wave's rebuild.* events from its first (rebuild.started), then live,
   * reconnecting with Last-Event-ID; ends after the wave's terminal event
   * (rebuild.succeeded, failed or cancelled) unless `follow` (then only with
   * `signal`: a retried wave starts again).
   */
  async *events(id: string, options: Omit<EventsOptions, "buildId" | "waveId"> = {}): AsyncGenerator<StreamedEvent> {
    for await (const e of streamEvents(this.http, { ...options, waveId: id })) {
      yield e;
      if (options.follow !== true && WAVE_TERMINAL_EVENTS.has(e.type)) return;
    }
  }
}

const WAVE_TERMINAL_EVENTS: ReadonlySet<string> = new Set(["rebuild.succeeded", "rebuild.failed", "rebuild.cancelled"]);
