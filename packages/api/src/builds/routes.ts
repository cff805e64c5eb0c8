import { FairShare, TenantCapStore, listBuilds, requestCancel, submitBuild } from "@buildfleet/shared";
import { BuildId, BuildState, ConflictError, ForbiddenError, NotFoundError, ValidationError, Tenant, isTerminalState, summariseIssues, toFieldIssues, validateBuildRequest, type BuildRecord } from "@buildfleet/contract";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { ApiContext } from "../context.js";
import { allowListIssues } from "../auth/allow-list.js";
import { contextHost, contextHostIssue } from "../auth/context-hosts.js";
import { principalOf, requireScope } from "../auth/authenticate.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { buildSummary } from "./summary.js";
import { enforceTenantCaps } from "../lanes/tenant-caps.js";

/** Stream id of the last event published before the build was read (GET /v1/builds/:id). */
export const EVENTS_AFTER_HEADER = "buildfleet-events-after";

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._-]{1,128}$/;

const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).max(20)]).transform((v) => (Array.isArray(v) ? v : [v]));

const Label = z.string().regex(/^[^=]{1,317}=[^=]{0,63}$/, { error: "expected key=value, e.g. team=payments" });

export const ListQuery = z.strictObject({
  state: oneOrMany(BuildState).optional(),
  label: oneOrMany(Label).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
  /** Another tenant's builds: admin scope only. */
  tenant: Tenant.optional(),
});

/** The tenant a read lists: the caller's own, or (admin scope only) the one asked for. */
export function listedTenant(principal: { tenant: string; scopes: readonly string[] }, asked: string | undefined): string {
  if (asked === undefined || asked === principal.tenant) return principal.tenant;
  if (!principal.scopes.includes("admin")) {
    throw new ForbiddenError(`tenant: only a token with the "admin" scope reads another tenant's builds`, { fields: ["tenant"] });
  }
  return asked;
}

/**
 * A build of the caller's tenant, or NOT_FOUND — the same answer whether the
 * build does not exist or belongs to another tenant, so ids cannot be probed.
 */
export async function ownBuild(ctx: ApiContext, request: FastifyRequest, id: string): Promise<BuildRecord> {
  const principal = principalOf(request);
  const record = BuildId.safeParse(id).success ? await ctx.store.get(id) : undefined;
  if (!record || record.tenant !== principal.tenant) throw new NotFoundError(`build ${id} not found`);
  return record;
}

export function registerBuildRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const fairShare = new FairShare(ctx.redis, ctx.ks);
  const caps = new TenantCapStore(ctx.redis, ctx.ks);
  const { tokens, metrics } = ctx;

  app.post("/v1/builds", { onRequest: requireScope(tokens, "submit") }, async (request, reply) => {
    const principal = principalOf(request);
    const headerKey = request.headers["idempotency-key"];
    if (headerKey !== undefined && (typeof headerKey !== "string" || !IDEMPOTENCY_KEY.test(headerKey))) {
      metrics.submits.inc({ outcome: "invalid" });
      throw new ValidationError([
        { path: "Idempotency-Key", message: "the header holds 1 to 128 letters, digits, '.', '_' or '-'", example: "release-2024-06-01.1" },
      ]);
    }
    const validated = validateBuildRequest(request.body, { tagPolicy: ctx.config.builds.tagPolicy });
    if (!validated.ok) {
      metrics.submits.inc({ outcome: "invalid" });
      throw new ValidationError(validated.issues);
    }
    const forbidden = allowListIssues(principal, validated.value);
    const host = contextHost(validated.value.context);
    if (host !== undefined) {
      const issue = contextHostIssue(principal, host, await ctx.resolveHost(host));
      if (issue) forbidden.push(issue);
    }
    if (forbidden.length > 0) {
      metrics.submits.inc({ outcome: "forbidden" });
      throw new ForbiddenError(summariseIssues(forbidden, "not allowed"), { fields: forbidden.map((i) => i.path) });
    }
    await enforceTenantCaps(caps, principal);
    let result: Awaited<ReturnType<typeof submitBuild>>;
    try {
      result = await submitBuild(
        { store: ctx.store, queue: ctx.queues, fairShare },
        {
          tenant: principal.tenant,
          request: validated.value,
          ...(headerKey !== undefined ? { idempotencyKey: headerKey } : {}),
          ...(principal.weight !== undefined ? { weight: principal.weight } : {}),
        },
      );
    } catch (err) {
      metrics.submits.inc({ outcome: "error" });
      throw err;
    }
    const id = result.created ? result.record.id : result.buildId;
    const state = result.record?.state ?? "queued";
    const estimate = state === "queued" ? await ctx.estimator.estimate(id, result.record?.request.priority ?? validated.value.priority) : undefined;
    metrics.submits.inc({ outcome: result.created ? "created" : "idempotent" });
    request.log.info({ buildId: id, tenant: principal.tenant, idempotent: !result.created }, "build submitted");
    return reply.code(result.created ? 202 : 200).send(buildSummary({ id, state }, { idempotent: !result.created, queuePosition: estimate?.queuePosition, etaSeconds: estimate?.etaSeconds }));
  });

  app.get<{ Params: { id: string } }>("/v1/builds/:id", { onRequest: requireScope(tokens, "read") }, async (request, reply) => {
    // Read before the history: following /v1/events from this id misses nothing the history lacks
    // (an event in both is told apart by its sequence). Lets a client replay one build, then follow it.
    const eventsAfter = await ctx.events.currentId();
    const record = await ownBuild(ctx, request, request.params.id);
    void reply.header(EVENTS_AFTER_HEADER, eventsAfter);
    const estimate = record.state === "queued" ? await ctx.estimator.estimate(record.id, record.request.priority) : undefined;
    return { ...record, events: await ctx.store.events(record.id), queuePosition: estimate?.queuePosition ?? null, etaSeconds: estimate?.etaSeconds ?? null };
  });

  app.get("/v1/builds", { onRequest: requireScope(tokens, "read") }, async (request) => {
    const principal = principalOf(request);
    const parsed = ListQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error.issues, request.query));
    const q = parsed.data;
    const labels = Object.fromEntries((q.label ?? []).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    const filters = { states: q.state, labels };
    const page = await listBuilds(ctx.redis, ctx.ks, {
      tenant: listedTenant(principal, q.tenant),
      ...(q.state ? { states: q.state } : {}),
      labels,
      limit: q.limit,
      ...(q.cursor !== undefined ? { after: decodeCursor(q.cursor, filters) } : {}),
    });
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next, filters) : null };
  });

  const cancel = async (request: FastifyRequest<{ Params: { id: string } }>): Promise<BuildRecord> => {
    const record = await ownBuild(ctx, request, request.params.id);
    if (isTerminalState(record.state)) {
      throw new ConflictError(`build ${record.id} already finished (${record.state}); there is nothing to cancel`);
    }
    const principal = principalOf(request);
    const after = await requestCancel({ store: ctx.store, queue: ctx.queues, redis: ctx.redis, keyspace: ctx.ks }, record.id, `api:${principal.tenant}`);
    request.log.child({ buildId: record.id }).info({ state: after.state }, "cancel requested");
    return after;
  };
  app.post<{ Params: { id: string } }>("/v1/builds/:id/cancel", { onRequest: requireScope(tokens, "cancel") }, async (request, reply) =>
    reply.code(202).send(await cancel(request)),
  );
  app.delete<{ Params: { id: string } }>("/v1/builds/:id", { onRequest: requireScope(tokens, "cancel") }, async (request, reply) =>
    reply.code(202).send(await cancel(request)),
  );
}
