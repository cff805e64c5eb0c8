import { once } from "node:events";
import { EventStream, ValidationError, toFieldIssues, type StreamEntry } from "@buildfleet/shared";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ApiContext } from "../context.js";
import { principalOf, requireScope } from "../auth/authenticate.js";
import { ownBuild } from "../builds/routes.js";
import { SSE_KEEP_ALIVE, formatSseEvent, isStreamId } from "./sse.js";

export const EventsQuery = z.strictObject({
  buildId: z.string().max(64).optional(),
  since: z.string().max(64).optional(),
});

/** Tenants of builds seen on the stream, so most events need no record read. Bounded. */
const TENANT_CACHE_MAX = 10_000;

export function registerEventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/v1/events", { onRequest: requireScope(ctx.tokens, "read") }, async (request, reply) => {
    const parsed = EventsQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error.issues, request.query));
    const principal = principalOf(request);
    const buildId = parsed.data.buildId;
    if (buildId !== undefined) await ownBuild(ctx, request, buildId);

    const lastEventId = request.headers["last-event-id"];
    const resume = typeof lastEventId === "string" && lastEventId !== "" ? lastEventId : parsed.data.since;
    if (resume !== undefined && !isStreamId(resume)) {
      const path = resume === lastEventId ? "Last-Event-ID" : "since";
      throw new ValidationError([{ path, message: "expected an event id this API sent (<ms>-<n>)", example: "1717243200000-0" }]);
    }
    // Without a resume point: only events from now on. "$" is resolved to the current last id once,
    // so nothing added between two blocking reads is skipped.
    const start = resume ?? (await ctx.redis.xrevrange(ctx.ks.events, "+", "-", "COUNT", 1))[0]?.[0] ?? "0-0";

    const conn = ctx.openStreamConnection();
    const reader = new EventStream(conn, ctx.ks);
    const raw = reply.raw;
    const log = request.log.child({ component: "sse", ...(buildId ? { buildId } : {}) });
    reply.hijack();
    raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    raw.write(": connected\n\n");

    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(keepAlive);
      // Rejects a pending blocking read, which ends the loop below.
      conn.disconnect();
    };
    const keepAlive = setInterval(() => raw.write(SSE_KEEP_ALIVE), ctx.timing.keepAliveMs);
    request.raw.once("close", close);
    ctx.closing.addEventListener("abort", close, { once: true });

    const tenants = new Map<string, string>();
    const visible = async (entry: StreamEntry): Promise<boolean> => {
      if (buildId !== undefined) return entry.buildId === buildId;
      let tenant = tenants.get(entry.buildId);
      if (tenant === undefined) {
        const data = entry.event.data as { tenant?: unknown };
        tenant = typeof data.tenant === "string" ? data.tenant : ((await ctx.store.get(entry.buildId))?.tenant ?? "");
        if (tenants.size >= TENANT_CACHE_MAX) tenants.clear();
        tenants.set(entry.buildId, tenant);
      }
      return tenant === principal.tenant;
    };

    const loop = async (): Promise<void> => {
      let cursor = start;
      while (!closed) {
        // XREAD with an explicit id returns at once when entries exist after it: catch-up and live are one loop.
        const entries = await reader.follow(cursor, { count: 100, blockMs: ctx.timing.eventsBlockMs });
        for (const entry of entries) {
          cursor = entry.id;
          if (closed || !(await visible(entry))) continue;
          if (!raw.write(formatSseEvent(entry))) await once(raw, "drain");
        }
      }
    };
    loop()
      .catch((err: unknown) => {
        if (!closed) log.warn({ err }, "event stream ended by an error");
      })
      .finally(() => {
        close();
        request.raw.off("close", close);
        ctx.closing.removeEventListener("abort", close);
        // An event stream only ends on a disconnect, an error or shutdown: never reuse its socket,
        // or server.close() would wait for the keep-alive timeout.
        const socket = raw.socket; // detached from the response once it finishes
        raw.end(() => socket?.destroy());
      });
  });
}
