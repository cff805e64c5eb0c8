// Watch streams: newline-delimited JSON {type, object} over one chunked
// response, resumable from a resourceVersion within the bounded history,
// 410 Expired beyond it, optional bookmarks and timeoutSeconds.
import type { ServerResponse } from "node:http";
import type { StatusError } from "../store/errors.js";
import { RESOURCES } from "../store/resources.js";
import type { ObjectFilter } from "../store/selectors.js";
import type { SimStore } from "../store/store.js";
import type { KubeObject, ResourceName, StoreEvent } from "../store/types.js";

/** A watcher that falls this far behind is cut off, as the real server drops slow watchers. */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

export interface WatchRequest {
  resource: ResourceName;
  namespace: string | undefined;
  /** undefined when no label/field selector was given. */
  filter: ObjectFilter | undefined;
  /** undefined or 0: synthetic ADDED for the current state first. */
  resourceVersion: number | undefined;
  bookmarks: boolean;
  timeoutSeconds: number | undefined;
  /** Answer with one ERROR 410 and close (forced by a fault). */
  forceExpired: boolean;
  /** Per-object rendering (kubectl `get -w` asks for Table rows); undefined sends the object. */
  transform?: ((obj: KubeObject) => unknown) | undefined;
}

type EventType = "ADDED" | "MODIFIED" | "DELETED";

const keyOf = (obj: KubeObject) => `${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}`;

class ActiveWatch {
  private readonly timers: NodeJS.Timeout[] = [];
  /** For selector watches: keys currently inside the selection, to turn "left the selection" into DELETED. */
  private readonly inside = new Set<string>();
  closed = false;

  constructor(
    readonly req: WatchRequest,
    private readonly res: ServerResponse,
    private readonly hub: WatchHub,
  ) {}

  start(store: SimStore, bookmarkIntervalMs: number): void {
    const { req } = this;
    this.res.on("close", () => this.close());
    if (req.timeoutSeconds !== undefined && req.timeoutSeconds > 0) {
      this.timers.push(setTimeout(() => this.close(), req.timeoutSeconds * 1000));
    }
    if (req.bookmarks) {
      const info = RESOURCES[req.resource];
      this.timers.push(
        setInterval(() => {
          this.write(
            JSON.stringify({
              type: "BOOKMARK",
              object: { kind: info.kind, apiVersion: info.apiVersion, metadata: { resourceVersion: String(store.currentResourceVersion()) } },
            }),
          );
        }, bookmarkIntervalMs),
      );
    }
  }

  sendInitial(items: KubeObject[]): void {
    for (const obj of items) {
      if (this.req.filter) this.inside.add(keyOf(obj));
      this.write(this.line("ADDED", obj));
    }
  }

  /** Seeds the selection for a resumed selector watch with what matches now. */
  seed(items: KubeObject[]): void {
    for (const obj of items) this.inside.add(keyOf(obj));
  }

  deliver(event: StoreEvent, serialized: () => string): void {
    const { req } = this;
    if (req.namespace !== undefined && event.object.metadata.namespace !== req.namespace) return;
    if (!req.filter) {
      this.write(req.transform ? this.line(event.type, event.object) : serialized());
      return;
    }
    const key = keyOf(event.object);
    const was = this.inside.has(key);
    let type: EventType | undefined;
    if (event.type === "DELETED") {
      type = was ? "DELETED" : undefined;
      this.inside.delete(key);
    } else if (req.filter(event.object)) {
      type = was ? "MODIFIED" : "ADDED";
      this.inside.add(key);
    } else if (was) {
      type = "DELETED";
      this.inside.delete(key);
    }
    if (type === event.type && !req.transform) this.write(serialized());
    else if (type !== undefined) this.write(this.line(type, event.object));
  }

  private line(type: EventType, obj: KubeObject): string {
    return JSON.stringify({ type, object: this.req.transform ? this.req.transform(obj) : obj });
  }

  error(err: StatusError): void {
    this.write(JSON.stringify({ type: "ERROR", object: err.body }));
    this.close();
  }

  private pending: string[] = [];

  /**
   * Lines are buffered and written once per event-loop turn: under a burst of
   * creates, one socket write per watcher per turn instead of one per event
   * is what lets 50 watchers keep up.
   */
  private write(line: string): void {
    if (this.closed) return;
    this.pending.push(line, "\n");
    if (this.pending.length === 2) this.hub.scheduleFlush(this);
  }

  flush(): void {
    if (this.closed || this.pending.length === 0) return;
    const chunk = this.pending.join("");
    this.pending = [];
    this.res.write(chunk);
    if (this.res.writableLength > MAX_BUFFERED_BYTES) this.close();
  }

  close(): void {
    if (this.closed) return;
    // Whatever was already produced (e.g. an ERROR event) goes out before the end.
    this.flush();
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.hub.remove(this);
    if (!this.res.writableEnded) this.res.end();
  }
}

export class WatchHub {
  private readonly byResource = new Map<ResourceName, Set<ActiveWatch>>();
  private readonly serialized = new WeakMap<StoreEvent, string>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: SimStore,
    private readonly bookmarkIntervalMs: number,
  ) {
    this.unsubscribe = store.subscribe((event) => this.dispatch(event));
  }

  private readonly toFlush = new Set<ActiveWatch>();
  private flushScheduled = false;

  scheduleFlush(watch: ActiveWatch): void {
    this.toFlush.add(watch);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const watches = [...this.toFlush];
      this.toFlush.clear();
      for (const w of watches) w.flush();
    });
  }

  get size(): number {
    let n = 0;
    for (const set of this.byResource.values()) n += set.size;
    return n;
  }

  private dispatch(event: StoreEvent): void {
    const watches = this.byResource.get(event.resource);
    if (!watches || watches.size === 0) return;
    // Serialize once per event, however many watchers receive it.
    const serialized = () => {
      let line = this.serialized.get(event);
      if (line === undefined) {
        line = JSON.stringify({ type: event.type, object: event.object });
        this.serialized.set(event, line);
      }
      return line;
    };
    for (const w of watches) w.deliver(event, serialized);
  }

  open(req: WatchRequest, res: ServerResponse, expiredFor: (rv: number) => StatusError): void {
    res.writeHead(200, {
      "Content-Type": "application/json",
      "Transfer-Encoding": "chunked",
      "Cache-Control": "no-cache, private",
    });
    res.flushHeaders();
    const watch = new ActiveWatch(req, res, this);
    if (req.forceExpired) {
      watch.error(expiredFor(req.resourceVersion ?? this.store.currentResourceVersion()));
      return;
    }
    // Everything below runs synchronously, so no store event can slip between
    // reading the snapshot/history and registering for live events.
    const list = (filter?: ObjectFilter) => this.store.listPage(req.resource, req.namespace, filter ? { filter } : {}).items;
    if (req.resourceVersion === undefined || req.resourceVersion === 0) {
      watch.sendInitial(list(req.filter));
    } else {
      const events = this.store.eventsSince(req.resourceVersion);
      if (!Array.isArray(events)) {
        watch.error(events);
        return;
      }
      if (req.filter) watch.seed(list(req.filter));
      for (const e of events) {
        if (e.resource === req.resource) watch.deliver(e, () => JSON.stringify({ type: e.type, object: e.object }));
      }
    }
    let set = this.byResource.get(req.resource);
    if (!set) this.byResource.set(req.resource, (set = new Set()));
    set.add(watch);
    watch.start(this.store, this.bookmarkIntervalMs);
  }

  remove(watch: ActiveWatch): void {
    this.byResource.get(watch.req.resource)?.delete(watch);
  }

  /** Ends every open watch cleanly (clients see the stream close and re-watch). Returns how many. */
  dropAll(): number {
    let n = 0;
    for (const set of this.byResource.values()) {
      for (const w of [...set]) {
        w.close();
        n += 1;
      }
    }
    return n;
  }

  close(): void {
    this.dropAll();
    this.unsubscribe();
  }
}
