import { hostname } from "node:os";
import { BuildStore, DeliveryStore, EventStream, WebhookStore, createWorkerConnection, keyspace, waitForReady, type BuildfleetConfig, type Logger, type Redis } from "@buildfleet/shared";
import { StreamEvent } from "@buildfleet/contract";
import { fanOut } from "./fan-out.js";
import { createSendWebhook, type SendWebhook } from "./http-send.js";
import { renderDelivery } from "./render.js";
import { decide, type RetryPolicy } from "./retry-policy.js";

/**
 * Delivers webhooks from the worker process. Two loops:
 *  - fan-out reads the build events stream in the `webhooks` consumer group and
 *    creates durable deliveries; an entry is acknowledged only after its
 *    deliveries exist, and entries a dead consumer held are claimed after
 *    `claimIdleMs`, so a crash loses no event;
 *  - delivery claims due deliveries with a lease and attempts them; a dispatcher
 *    that dies mid-attempt leaves the lease, which runs out and another
 *    dispatcher (or this one, restarted) attempts again: at least once.
 * Runs in the worker because the worker already scales out as a fleet of Redis
 * consumers; the consumer group and the leases spread the work across replicas.
 */

export interface WebhookDispatcherOptions {
  redisUrl: string;
  prefix: string;
  logger: Logger;
  settings: BuildfleetConfig["webhooks"];
  /** Consumer name in the group (default: host and pid, unique per process). */
  consumer?: string;
  /** How long a claimed delivery is held before it counts as abandoned (default: twice the timeout + 5 s). */
  leaseMs?: number;
  /** How often due deliveries are polled. */
  pollMs?: number;
  /** How long one blocking read of the events stream waits. */
  blockMs?: number;
  /** Entries pending this long with another consumer are taken over. */
  claimIdleMs?: number;
  /** How long stop() waits for attempts in flight before abandoning them to their leases. */
  stopGraceMs?: number;
  send?: SendWebhook;
  random?: () => number;
}

export class WebhookDispatcher {
  private readonly logger: Logger;
  private readonly redis: Redis;
  private readonly blocking: Redis;
  private readonly webhooks: WebhookStore;
  private readonly deliveries: DeliveryStore;
  private readonly stream: EventStream;
  private readonly store: BuildStore;
  private readonly send: SendWebhook;
  private readonly policy: RetryPolicy;
  private readonly consumer: string;
  private readonly leaseMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  /** Aborted when stop() stops waiting: requests still open are dropped, their deliveries keep their leases. */
  private readonly abandon = new AbortController();
  private loops: Promise<void>[] = [];
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private pollAgain = false;
  private started: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: WebhookDispatcherOptions) {
    const { settings } = options;
    this.logger = options.logger.child({ component: "webhooks" });
    this.redis = createWorkerConnection(options.redisUrl, { connectionName: "buildfleet-webhooks" });
    // XREADGROUP BLOCK holds its connection: it gets its own.
    this.blocking = createWorkerConnection(options.redisUrl, { connectionName: "buildfleet-webhooks-stream" });
    for (const conn of [this.redis, this.blocking]) {
      conn.on("error", (err: Error) => this.logger.warn({ err: { message: err.message } }, "redis connection error"));
    }
    const ks = keyspace(options.prefix);
    this.webhooks = new WebhookStore(this.redis, options.prefix);
    this.deliveries = new DeliveryStore(this.redis, options.prefix);
    this.stream = new EventStream(this.blocking, ks);
    this.store = new BuildStore({ redis: this.redis, keyspace: ks, source: "/buildfleet/webhooks" });
    this.send = options.send ?? createSendWebhook({ policy: { allowHttp: settings.allowHttp, allowedHosts: settings.allowedHosts }, timeoutMs: settings.timeoutMs });
    this.policy = { maxAttempts: settings.maxAttempts, baseMs: settings.backoffBaseMs, maxMs: settings.backoffMaxMs };
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}`;
    this.leaseMs = options.leaseMs ?? settings.timeoutMs * 2 + 5_000;
  }

  start(): Promise<void> {
    this.started ??= this.doStart();
    return this.started;
  }

  private async doStart(): Promise<void> {
    await waitForReady(this.redis, 15_000);
    await waitForReady(this.blocking, 15_000);
    await this.stream.ensureGroup(this.webhooks.keys.group, "$");
    this.loops = [this.fanOutLoop()];
    this.schedulePoll(0);
    this.logger.info({ consumer: this.consumer, concurrency: this.options.settings.concurrency }, "webhook delivery started");
  }

  stop(): Promise<void> {
    this.stopped ??= this.doStop();
    return this.stopped;
  }

  /** The same as stop(), for owners that close things. */
  close(): Promise<void> {
    return this.stop();
  }

  private async doStop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.pollTimer);
    // Ends the blocking read at once; unacknowledged entries stay pending for the next reader.
    this.blocking.disconnect();
    await Promise.allSettled(this.loops);
    const grace = this.options.stopGraceMs ?? this.options.settings.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, grace);
      }),
    ]);
    clearTimeout(timer);
    if (this.inFlight.size > 0) {
      this.logger.info({ abandoned: this.inFlight.size }, "attempts in flight left to their leases");
      this.abandon.abort();
      await Promise.allSettled([...this.inFlight]);
    }
    this.redis.disconnect();
    this.logger.info("webhook delivery stopped");
  }

  private async fanOutLoop(): Promise<void> {
    const group = this.webhooks.keys.group;
    let lastClaim = 0;
    while (!this.stopping) {
      try {
        const now = Date.now();
        if (now - lastClaim >= (this.options.claimIdleMs ?? 60_000)) {
          lastClaim = now;
          // Entries a dead consumer read but never acknowledged become ours; readGroup returns our pending first.
          await this.redis.xautoclaim(keyspace(this.options.prefix).events, group, this.consumer, this.options.claimIdleMs ?? 60_000, "0-0", "COUNT", 100, "JUSTID");
        }
        const entries = await this.stream.readGroup(group, this.consumer, { count: 100, blockMs: this.options.blockMs ?? 5_000 });
        // Most fleets have few webhooks: without any, a batch costs one SCARD and one XACK.
        if (entries.length > 0 && !(await this.webhooks.anyWebhooks())) {
          await this.stream.ack(group, entries.map((e) => e.id));
          continue;
        }
        for (const entry of entries) {
          const created = await fanOut(entry, { store: this.store, webhooks: this.webhooks, deliveries: this.deliveries });
          await this.stream.ack(group, [entry.id]);
          if (created > 0) {
            this.logger.debug({ subject: entry.event.subject, event: entry.event.id, deliveries: created }, "event fanned out");
            this.schedulePoll(0);
          }
        }
      } catch (err) {
        if (this.stopping) return;
        // An entry that is not a valid event would fail every read of our pending list: acknowledge it and go on.
        if (err instanceof SyntaxError || (err as Error).name === "ZodError") {
          await this.skipUnreadableEntry().catch(() => undefined);
          continue;
        }
        this.logger.warn({ err: { message: (err as Error).message } }, "webhook fan-out failed; retrying");
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  /** Acknowledges the oldest of our pending entries if it does not parse as a build or rebuild event. */
  private async skipUnreadableEntry(): Promise<void> {
    const group = this.webhooks.keys.group;
    const res = (await this.redis.xreadgroup("GROUP", group, this.consumer, "COUNT", 1, "STREAMS", keyspace(this.options.prefix).events, "0")) as
      | [string, [string, string[]][]][]
      | null;
    const [id, fields] = res?.[0]?.[1]?.[0] ?? [];
    if (id === undefined || fields === undefined) return;
    const at = fields.indexOf("event");
    try {
      StreamEvent.parse(JSON.parse(fields[at + 1] ?? "null"));
    } catch {
      await this.stream.ack(group, [id]);
      this.logger.warn({ entry: id }, "skipped an events stream entry that is not a valid event");
    }
  }

  private schedulePoll(delayMs: number): void {
    if (this.stopping) return;
    // A poll under way would replace this timer with its own: let it poll again at once instead.
    if (this.polling && delayMs === 0) {
      this.pollAgain = true;
      return;
    }
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.poll(), delayMs);
  }

  private async poll(): Promise<void> {
    this.polling = true;
    this.pollAgain = false;
    try {
      const free = this.options.settings.concurrency - this.inFlight.size;
      if (free > 0 && !this.stopping) {
        const ids = await this.deliveries.claimDue(free, this.leaseMs);
        for (const id of ids) {
          const attempt = this.attempt(id).finally(() => {
            this.inFlight.delete(attempt);
            // A finished delivery may have made the next of its chain due.
            this.schedulePoll(0);
          });
          this.inFlight.add(attempt);
        }
      }
    } catch (err) {
      if (!this.stopping) this.logger.warn({ err: { message: (err as Error).message } }, "claiming webhook deliveries failed");
    }
    this.polling = false;
    this.schedulePoll(this.pollAgain ? 0 : (this.options.pollMs ?? 1_000));
  }

  private async attempt(id: string): Promise<void> {
    try {
      const delivery = await this.deliveries.load(id);
      if (delivery?.state !== "pending") {
        await this.deliveries.forget(id);
        return;
      }
      const log = this.logger.child({ delivery: id, tenant: delivery.tenant, webhook: delivery.webhook, event: delivery.eventId });
      const webhook = await this.webhooks.secretsOf(delivery.tenant, delivery.webhook);
      if (webhook?.uid !== delivery.webhookUid) {
        await this.deliveries.finish(delivery, "dead", { error: "the webhook was deleted" });
        return;
      }
      const attempt = await this.deliveries.beginAttempt(id);
      const now = new Date();
      const request = renderDelivery({ deliveryId: id, event: delivery.event, mode: webhook.view.mode, secrets: webhook.secrets, now });
      const result = await this.send(webhook.view.url, request, this.abandon.signal);
      // An abandoned attempt records nothing: its lease runs out and it is attempted again.
      if (this.abandon.signal.aborted) return;
      const decision = decide(result, attempt, this.policy, Date.now(), this.options.random);
      const info = {
        status: result.kind === "response" ? result.status : undefined,
        error: result.kind === "response" ? undefined : result.message,
        responseExcerpt: result.responseExcerpt,
      };
      switch (decision.action) {
        case "delivered":
          await this.deliveries.finish(delivery, "delivered", info);
          log.info({ attempt, status: info.status }, "webhook delivered");
          break;
        case "retry":
          await this.deliveries.retryAt(id, Date.now() + decision.delayMs, { ...info, error: info.error ?? `status ${info.status ?? "?"}` });
          log.info({ attempt, status: info.status, error: info.error, retryInMs: decision.delayMs }, "webhook attempt failed; will retry");
          break;
        case "dead":
          await this.deliveries.finish(delivery, "dead", { ...info, error: decision.why });
          log.warn({ attempt, status: info.status, why: decision.why }, "webhook delivery dead-lettered");
          break;
      }
    } catch (err) {
      // The lease stays: the delivery is attempted again when it runs out.
      if (!this.stopping) this.logger.warn({ delivery: id, err: { message: (err as Error).message } }, "webhook attempt failed to record");
    }
  }
}
