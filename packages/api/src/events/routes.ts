import { WaveStore, type StreamEntry } from "@buildfleet/shared";
import { NotFoundError, RateLimitedError, Tenant, ValidationError, toFieldIssues } from "@buildfleet/contract";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { ApiContext } from "../context.js";
import { principalOf, requireScope } from "../auth/authenticate.js";
import { listedTenant, ownBuild } from "../builds/routes.js";
import { waveVisible } from "../rebuilds/routes.js";
import { drained } from "../http/backpressure.js";
import { SSE_KEEP_ALIVE, formatSseEvent, isStreamId } from "./sse.js";
import { previousStreamId } from "./stream-id.js";

export const EventsQuery = z.strictObject({
  buildId: z.string().max(64).optional(),
  /** One rebuild wave's rebuild.* events; without a resume point, from its first (rebuild.started). */
  waveId: z.string().max(64).optional(),
  /**
   * With waveId: its builds' build.* events too. A node's `running` is announced by its
   * build's events only (no rebuild.node.running), so a live view of the wave needs them.
   */
  builds: z.stringbool({ error: "expected true or false" }).default(false),
  since: z.string().max(64).optional(),
  /** Another tenant's events: admin scope only. */
  tenant: Tenant.optional(),
});

/** Tenants of builds seen on the stream, so most events need no record read. Bounded. */
const TENANT_CACHE_MAX = 10_000;

export function registerEventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const waves = new WaveStore(ctx.redis, ctx.ks);
  /** The stream id of a visible wave's first event (undefined: none published yet); 404 for a wave the caller may not see. */
  const ownWave = async (request: FastifyRequest, waveId: string): Promise<{ firstEventId: string | undefined; buildIds: string[] }> => {
    const doc = await waves.get(waveId);
    if (doc === undefined || !waveVisible(request, doc)) throw new NotFoundError(`rebuild wave ${waveId} not found`);
    return { firstEventId: await waves.firstEventId(waveId), buildIds: Object.values(doc.builds).map((b) => b.buildId) };
  };
  const { maxStreams, maxStreamsPerToken } = ctx.config.api.sse;
  /** Open streams per token (keyed by the token's hash); the process total is the fan-out's size. */
  const perToken = new Map<string, number>();

  app.get("/v1/events", { onRequest: requireScope(ctx.tokens, "read") }, async (request, reply) => {
    const parsed = EventsQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error.issues, request.query));
    const principal = principalOf(request);
    const buildId = parsed.data.buildId;
    const tenant = listedTenant(principal, parsed.data.tenant);

    const lastEventId = request.headers["last-event-id"];
    const resume = typeof lastEventId === "string" && lastEventId !== "" ? lastEventId : parsed.data.since;
    if (resume !== undefined && !isStreamId(resume)) {
      const path = resume === lastEventId ? "Last-Event-ID" : "since";
      throw new ValidationError([
        { path, message: "expected an event id this API sent (<ms>-<n>, each part at most 18446744073709551615)", example: "1717243200000-0" },
      ]);
    }
    const waveId = parsed.data.waveId;
    if (buildId !== undefined && waveId !== undefined) throw new ValidationError([{ path: "waveId", message: "give buildId or waveId, not both" }]);
    if (parsed.data.builds && waveId === undefined) throw new ValidationError([{ path: "builds", message: "builds=true goes with waveId (a wave's builds)" }]);
    // Only now Redis: a bad resume point is a 400 whatever the build.
    if (buildId !== undefined) await ownBuild(ctx, request, buildId);
    const wave = waveId === undefined ? undefined : await ownWave(request, waveId);
    const firstOfWave = wave?.firstEventId;
    // Without a resume point: only events from now on (the current last id, resolved once); a wave's from its first.
    const start = resume ?? (firstOfWave !== undefined ? previousStreamId(firstOfWave) : await ctx.events.currentId());

    // Checked and counted in one synchronous step (no await in between), so concurrent requests cannot overshoot.
    const key = principal.tokenSha256;
    const mine = perToken.get(key) ?? 0;
    if (mine >= maxStreamsPerToken) {
      throw new RateLimitedError(
        `this token has ${mine} event streams open, the limit per token (API_SSE_MAX_STREAMS_PER_TOKEN=${maxStreamsPerToken}); close one, or follow several builds on one stream without buildId`,
        { retryAfterSeconds: 5 },
      );
    }
    if (ctx.events.size >= maxStreams) {
      throw new RateLimitedError(
        `this API process serves ${ctx.events.size} event streams, its limit (API_SSE_MAX_STREAMS=${maxStreams}); try again shortly`,
        { retryAfterSeconds: 5 },
      );
    }
    perToken.set(key, mine + 1);
    const release = (): void => {
      const n = (perToken.get(key) ?? 1) - 1;
      if (n <= 0) perToken.delete(key);
      else perToken.set(key, n);
    };

    const raw = reply.raw;
    const log = request.log.child({ component: "sse", ...(buildId ? { buildId } : {}) });
    reply.hijack();
    raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      // The socket is destroyed when the stream ends (see below): say so, or a keep-alive
      // client agent would reuse it for its reconnect and get "socket hang up".
      connection: "close",
      "x-accel-buffering": "no",
    });
    raw.write(": connected\n\n");

    const tenants = new Map<string, string>();
    /** builds=true: build id → the wave it belongs to ("" none); seeded from the wave and its node.queued events. Bounded. */
    const waveOf = new Map<string, string>(wave?.buildIds.map((id) => [id, waveId ?? ""]) ?? []);
    const inWave = async (id: string): Promise<boolean> => {
      let owner = waveOf.get(id);
      if (owner === undefined) {
        // A record's wave never changes: a read per build not seen before, as for tenants below.
        owner = (await ctx.store.get(id))?.rebuild?.waveId ?? "";
        if (waveOf.size >= TENANT_CACHE_MAX) waveOf.clear();
        waveOf.set(id, owner);
      }
      return owner === waveId;
    };
    const visible = async (entry: StreamEntry): Promise<boolean> => {
      if (waveId !== undefined) {
        if (entry.kind === "rebuild") {
          if (entry.waveId !== waveId) return false;
          if (entry.event.type === "rebuild.node.queued") waveOf.set(entry.event.data.buildId, waveId);
          return true;
        }
        return parsed.data.builds && (await inWave(entry.buildId));
      }
      // A wave's event names the tenants it concerns.
      if (entry.kind === "rebuild") return buildId === undefined && entry.event.data.tenants.includes(tenant);
      if (buildId !== undefined) return entry.buildId === buildId;
      let owner = tenants.get(entry.buildId);
      if (owner === undefined) {
        const data = entry.event.data as { tenant?: unknown };
        owner = typeof data.tenant === "string" ? data.tenant : ((await ctx.store.get(entry.buildId))?.tenant ?? "");
        if (tenants.size >= TENANT_CACHE_MAX) tenants.clear();
        tenants.set(entry.buildId, owner);
      }
      return owner === tenant;
    };

    const subscription = ctx.events.subscribe(start, async (entry) => {
      if (!(await visible(entry))) return;
      if (!raw.write(formatSseEvent(entry))) await drained(raw);
    });
    const keepAlive = setInterval(() => raw.write(SSE_KEEP_ALIVE), ctx.timing.keepAliveMs);
    const close = (): void => subscription.close();
    request.raw.once("close", close);
    ctx.closing.addEventListener("abort", close, { once: true });

    void subscription.ended.then((reason) => {
      clearInterval(keepAlive);
      release();
      request.raw.off("close", close);
      ctx.closing.removeEventListener("abort", close);
      if (reason === "catch-up-limit" || reason === "too-slow") {
        log.info({ reason }, "event stream ended; the client resumes from its Last-Event-ID");
        raw.write(`: ${reason}, reconnect with Last-Event-ID\n\n`);
      }
      // An event stream only ends on a disconnect, an error or shutdown: never reuse its socket,
      // or server.close() would wait for the keep-alive timeout.
      const socket = raw.socket; // detached from the response once it finishes
      raw.end(() => socket?.destroy());
    });
  });
}
