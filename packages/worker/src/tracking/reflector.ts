import type { Logger } from "pino";
import type { K8sError } from "../k8s/errors.js";
import type { ListResult, WatchCallbacks, WatchHandle, WatchOptions } from "../k8s/client.js";
import type { ObjectMetaLike } from "./k8s-shapes.js";

/**
 * One supervised list+watch of one resource kind, feeding an in-memory cache.
 *
 * Why not client-node's informer: it stops for good on non-410 errors and has no
 * inactivity detection (k8sjs#596, #958, #1933). Here:
 * - list, then watch from the list's resourceVersion (bookmarks requested);
 * - a normal server-side close → re-watch from the last resourceVersion at once;
 * - `GONE` (410) → relist; any other error → re-watch after a jittered exponential backoff
 *   (a relist follows automatically if the resourceVersion became too old);
 * - no event and no bookmark for `inactivityTimeoutMs` → the watch is presumed dead: restart;
 * - every `resyncIntervalMs` a full relist (level-triggered) heals anything missed.
 * Changes are reported as upsert/delete; a relist reports only what differs from the cache.
 */
export interface ReflectorOptions<T> {
  kind: string;
  labelSelector: string;
  list(labelSelector: string): Promise<ListResult<T>>;
  watch(opts: WatchOptions, callbacks: WatchCallbacks<T>): Promise<WatchHandle>;
  onUpsert(object: T): void;
  onDelete(object: T): void;
  /** After each successful list has been applied to the cache. */
  onSynced?: () => void;
  /** Each list started, and why (metrics). */
  onRelist?: (reason: RelistReason) => void;
  /** Each watch ended or given up on that is followed by a new one, and why (metrics). */
  onWatchRestart?: (reason: WatchRestartReason) => void;
  logger: Logger;
  inactivityTimeoutMs: number;
  resyncIntervalMs: number;
  watchTimeoutSeconds: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  random: () => number;
}

type Meta = { metadata?: ObjectMetaLike };

/** Why a list ran: first start, periodic resync, 410 Gone, or a retry after a failed list. */
export type RelistReason = "start" | "resync" | "gone" | "retry";
/** Why a watch was restarted: routine server close, closed without traffic, silent too long, 410 Gone, or an error. */
export type WatchRestartReason = "closed" | "empty" | "inactivity" | "gone" | "error";

function keyOf(o: Meta): string {
  return `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
}

export class Reflector<T extends Meta> {
  private readonly cache = new Map<string, T>();
  private resourceVersion = "";
  private running = false;
  /** Bumped on every restart: callbacks from an older list/watch are ignored. */
  private epoch = 0;
  private watchHandle: WatchHandle | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private inactivityTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private stableTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private synced = false;
  private watching = false;
  private unhealthySince: number | undefined;

  constructor(private readonly opts: ReflectorOptions<T>) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.relist("start");
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.epoch++;
    this.clearTimers();
    this.abortWatch();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Listed at least once and not failing for longer than the inactivity timeout. */
  isLive(now = Date.now()): boolean {
    if (!this.running || !this.synced) return false;
    return this.unhealthySince === undefined || now - this.unhealthySince < this.opts.inactivityTimeoutMs;
  }

  values(): IterableIterator<T> {
    return this.cache.values();
  }

  private clearTimers(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.inactivityTimer);
    clearTimeout(this.resyncTimer);
    clearTimeout(this.stableTimer);
    this.retryTimer = this.inactivityTimer = this.resyncTimer = this.stableTimer = undefined;
  }

  private abortWatch(): void {
    const handle = this.watchHandle;
    this.watchHandle = undefined;
    this.watching = false;
    clearTimeout(this.stableTimer);
    this.stableTimer = undefined;
    handle?.abort();
  }

  private backoffMs(): number {
    const exp = Math.min(this.opts.backoffMaxMs, this.opts.backoffInitialMs * 2 ** Math.min(Math.max(this.failures - 1, 0), 20));
    // Jitter so a fleet of workers does not hammer a recovering API server in lock-step.
    return Math.round(exp / 2 + (exp / 2) * this.opts.random());
  }

  private markUnhealthy(): void {
    this.unhealthySince ??= Date.now();
  }

  private markHealthy(): void {
    this.unhealthySince = undefined;
    this.failures = 0;
  }

  private schedule(what: "relist" | "watch", reason: RelistReason, delayMs: number): void {
    clearTimeout(this.retryTimer);
    // Not watching while we wait: the inactivity clock restarts with the next watch.
    clearTimeout(this.inactivityTimer);
    const epoch = this.epoch;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.running || epoch !== this.epoch) return;
      if (what === "relist") this.relist(reason);
      else this.startWatch();
    }, delayMs);
  }

  private fail(what: "relist" | "watch", err: K8sError): void {
    this.markUnhealthy();
    this.failures++;
    const delayMs = this.backoffMs();
    this.opts.logger.warn({ kind: this.opts.kind, code: err.code, status: err.status, delayMs, failures: this.failures }, `${this.opts.kind}: ${what} failed, retrying`);
    if (what === "watch") this.hook(() => this.opts.onWatchRestart?.("error"));
    this.schedule(what, "retry", delayMs);
  }

  private relist(reason: RelistReason): void {
    if (!this.running) return;
    this.hook(() => this.opts.onRelist?.(reason));
    const epoch = ++this.epoch;
    this.clearTimers();
    this.abortWatch();
    this.opts.logger.debug({ kind: this.opts.kind, reason }, `${this.opts.kind}: listing`);
    this.opts.list(this.opts.labelSelector).then(
      (result) => {
        if (!this.running || epoch !== this.epoch) return;
        this.replace(result);
        this.synced = true;
        this.opts.onSynced?.();
        this.markHealthy();
        this.armResync();
        this.startWatch();
      },
      (err: unknown) => {
        if (!this.running || epoch !== this.epoch) return;
        this.fail("relist", err as K8sError);
      },
    );
  }

  private replace(result: ListResult<T>): void {
    this.resourceVersion = result.resourceVersion;
    const seen = new Set<string>();
    for (const obj of result.items) {
      const key = keyOf(obj);
      seen.add(key);
      const prev = this.cache.get(key);
      this.cache.set(key, obj);
      if (prev?.metadata?.resourceVersion !== obj.metadata?.resourceVersion || prev === undefined) this.emit("upsert", obj);
    }
    for (const [key, obj] of [...this.cache]) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emit("delete", obj);
      }
    }
  }

  /** Metrics hooks must not break the watch. */
  private hook(fn: () => void): void {
    try {
      fn();
    } catch {
      // ignored: see above
    }
  }

  private emit(kind: "upsert" | "delete", obj: T): void {
    try {
      if (kind === "upsert") this.opts.onUpsert(obj);
      else this.opts.onDelete(obj);
    } catch (err) {
      // A bad handler must not kill the shared watch every build depends on.
      this.opts.logger.error({ kind: this.opts.kind, err }, `${this.opts.kind}: change handler threw`);
    }
  }

  /** Armed after each successful list only (re-watches must not postpone it). */
  private armResync(): void {
    clearTimeout(this.resyncTimer);
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      if (this.running) this.relist("resync");
    }, this.opts.resyncIntervalMs);
  }

  private armInactivity(): void {
    clearTimeout(this.inactivityTimer);
    const epoch = this.epoch;
    this.inactivityTimer = setTimeout(() => {
      if (!this.running || epoch !== this.epoch) return;
      this.opts.logger.warn({ kind: this.opts.kind, timeoutMs: this.opts.inactivityTimeoutMs }, `${this.opts.kind}: watch silent, restarting`);
      this.markUnhealthy();
      this.failures++;
      this.epoch++;
      this.abortWatch();
      this.hook(() => this.opts.onWatchRestart?.("inactivity"));
      this.schedule("watch", "retry", this.backoffMs());
    }, this.opts.inactivityTimeoutMs);
  }

  private startWatch(): void {
    if (!this.running) return;
    const epoch = ++this.epoch;
    this.abortWatch();
    this.armInactivity();
    let delivered = false;
    // A watch can end (onEnd) before its start resolves: a refused start (403, 429 …) is not a live watch.
    let ended = false;
    const current = (): boolean => this.running && epoch === this.epoch;
    this.opts
      .watch(
        { labelSelector: this.opts.labelSelector, resourceVersion: this.resourceVersion, timeoutSeconds: this.opts.watchTimeoutSeconds },
        {
          onEvent: (type, obj) => {
            if (!current()) return;
            delivered = true;
            this.armInactivity();
            this.markHealthy();
            const rv = obj.metadata?.resourceVersion;
            if (rv !== undefined) this.resourceVersion = rv;
            const key = keyOf(obj);
            if (type === "DELETED") {
              this.cache.delete(key);
              this.emit("delete", obj);
            } else {
              this.cache.set(key, obj);
              this.emit("upsert", obj);
            }
          },
          onBookmark: (rv) => {
            if (!current()) return;
            delivered = true;
            this.armInactivity();
            this.resourceVersion = rv;
          },
          onEnd: (err) => {
            ended = true;
            if (!current()) return;
            this.watching = false;
            this.watchHandle = undefined;
            if (err === undefined) {
              // A close after some traffic is routine (server timeout): re-watch at once.
              // Closes with nothing delivered back off, so a flapping server cannot spin us.
              this.hook(() => this.opts.onWatchRestart?.(delivered ? "closed" : "empty"));
              if (delivered) this.startWatch();
              else {
                this.failures++;
                this.schedule("watch", "retry", this.backoffMs());
              }
            } else if (err.code === "GONE") {
              this.opts.logger.info({ kind: this.opts.kind }, `${this.opts.kind}: resourceVersion expired (410), relisting`);
              this.hook(() => this.opts.onWatchRestart?.("gone"));
              this.relist("gone");
            } else this.fail("watch", err);
          },
        },
      )
      .then(
        (handle) => {
          if (!current() || ended) {
            handle.abort();
            return;
          }
          this.watchHandle = handle;
          this.watching = true;
          // Connected is not yet live: a server that accepts each watch and breaks it at once would
          // otherwise reset the unhealthy clock on every retry and keep /readyz ready forever.
          // Healthy once an event or bookmark arrives (markHealthy), or the watch stays up a while.
          clearTimeout(this.stableTimer);
          this.stableTimer = setTimeout(() => {
            this.stableTimer = undefined;
            if (current() && this.watching) this.markHealthy();
          }, this.stableAfterMs());
        },
        (err: unknown) => {
          if (current()) this.fail("watch", err as K8sError);
        },
      );
  }

  /** How long a watch must stay connected, without any traffic, to count as live again. */
  private stableAfterMs(): number {
    return Math.max(1, Math.min(5_000, Math.floor(this.opts.inactivityTimeoutMs / 4)));
  }

  isWatching(): boolean {
    return this.watching;
  }
}
