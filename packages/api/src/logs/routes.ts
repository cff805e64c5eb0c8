import type { Socket } from "node:net";
import { PassThrough } from "node:stream";
import { setTimeout as delay } from "node:timers/promises";
import { readBuildLog, type BuildLogLine } from "@buildfleet/shared";
import { ValidationError, isTerminalState, toFieldIssues } from "@buildfleet/contract";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ApiContext } from "../context.js";
import { requireScope } from "../auth/authenticate.js";
import { ownBuild } from "../builds/routes.js";

/** Query parameters named as Kubernetes' pod log API names them (kubectl users know them). */
export const LogsQuery = z
  .strictObject({
    follow: z.stringbool({ error: "expected true or false" }).default(false),
    tail: z.coerce.number().int().min(0).max(100_000).optional(),
    /** Only lines written at or after this RFC 3339 time. */
    sinceTime: z.iso.datetime({ offset: true, error: "expected an RFC 3339 time, e.g. 2026-12-02T10:00:00Z" }).optional(),
    /** Only lines written in the last this many seconds (by the API's clock). */
    sinceSeconds: z.coerce.number().int().min(1).max(100 * 365 * 86_400).optional(),
    /** Each line prefixed with the time it was written (RFC 3339, ms) and a space. */
    timestamps: z.stringbool({ error: "expected true or false" }).default(false),
  })
  .refine((q) => q.sinceTime === undefined || q.sinceSeconds === undefined, {
    path: ["sinceSeconds"],
    message: "give sinceTime or sinceSeconds, not both",
  });

/** A line without a stored time (kept from before times were stored) prints without a prefix. */
const text = (lines: readonly BuildLogLine[], timestamps: boolean): string =>
  lines.map((l) => (timestamps && l.time !== undefined ? `${l.time} ${l.line}\n` : `${l.line}\n`)).join("");

export function registerLogRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: { id: string } }>("/v1/builds/:id/logs", { onRequest: requireScope(ctx.tokens, "read") }, async (request, reply) => {
    const parsed = LogsQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error.issues, request.query));
    const record = await ownBuild(ctx, request, request.params.id);
    const { sinceTime, sinceSeconds, tail, timestamps } = parsed.data;
    const since = sinceTime !== undefined ? Date.parse(sinceTime) : sinceSeconds !== undefined ? Date.now() - sinceSeconds * 1000 : undefined;
    const sinceOpt = since === undefined ? {} : { since };
    const first = await readBuildLog(ctx.redis, ctx.ks, record.id, { ...(tail === undefined ? {} : { tail }), ...sinceOpt });
    reply.type("text/plain; charset=utf-8");
    if (!parsed.data.follow) return reply.send(text(first.lines, timestamps));

    // Follow: lines as they arrive, until the build is terminal and a read after that brings nothing new.
    // A build can be silent for longer than API_CONNECTION_TIMEOUT_MS (a long RUN step): no idle
    // timeout on this socket; the follow ends with the build, the client or shutdown.
    // (fastify.inject's fake socket has no setTimeout.)
    (request.raw.socket as Partial<Socket> | undefined)?.setTimeout?.(0);
    const out = new PassThrough();
    const stop = new AbortController();
    const onClose = (): void => stop.abort();
    request.raw.once("close", onClose);
    ctx.closing.addEventListener("abort", onClose, { once: true });
    const log = request.log.child({ buildId: record.id });
    const pump = async (): Promise<void> => {
      out.write(text(first.lines, timestamps));
      let next = first.next;
      let terminalSeen = false;
      while (!stop.signal.aborted) {
        const current = await ctx.store.get(record.id);
        const terminal = current === undefined || isTerminalState(current.state);
        const more = await readBuildLog(ctx.redis, ctx.ks, record.id, { from: next, ...sinceOpt });
        next = more.next;
        if (more.lines.length > 0 && !out.write(text(more.lines, timestamps))) {
          await new Promise<void>((resolve) => {
            out.once("drain", resolve);
            stop.signal.addEventListener("abort", () => resolve(), { once: true });
          });
        }
        // One more poll after the build is seen finished: the worker's log capture may trail the state change.
        if (terminalSeen && more.lines.length === 0) return;
        terminalSeen ||= terminal;
        await delay(ctx.timing.logPollMs, undefined, { signal: stop.signal }).catch(() => undefined);
      }
    };
    pump()
      .catch((err: unknown) => log.warn({ err }, "log follow ended by an error"))
      .finally(() => {
        request.raw.off("close", onClose);
        ctx.closing.removeEventListener("abort", onClose);
        // Ended by shutdown: drop the socket so server.close() need not wait for its keep-alive timeout.
        const socket = reply.raw.socket; // detached from the response once it finishes
        if (ctx.closing.aborted) reply.raw.once("finish", () => socket?.destroy());
        out.end();
      });
    return reply.send(out);
  });
}
