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
import { drained } from "../http/backpressure.js";

export const LogsQuery = z.strictObject({
  follow: z.stringbool({ error: "expected true or false" }).default(false),
  tail: z.coerce.number().int().min(0).max(100_000).optional(),
});

const text = (lines: readonly BuildLogLine[]): string => lines.map((l) => `${l.line}\n`).join("");

export function registerLogRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: { id: string } }>("/v1/builds/:id/logs", { onRequest: requireScope(ctx.tokens, "read") }, async (request, reply) => {
    const parsed = LogsQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error.issues, request.query));
    const record = await ownBuild(ctx, request, request.params.id);
    const first = await readBuildLog(ctx.redis, ctx.ks, record.id, parsed.data.tail === undefined ? {} : { tail: parsed.data.tail });
    reply.type("text/plain; charset=utf-8");
    if (!parsed.data.follow) return reply.send(text(first.lines));

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
      out.write(text(first.lines));
      let next = first.next;
      let terminalSeen = false;
      while (!stop.signal.aborted) {
        const current = await ctx.store.get(record.id);
        const terminal = current === undefined || isTerminalState(current.state);
        const more = await readBuildLog(ctx.redis, ctx.ks, record.id, { from: next });
        next = more.next;
        if (more.lines.length > 0 && !out.write(text(more.lines))) {
          await drained(out, stop.signal);
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
