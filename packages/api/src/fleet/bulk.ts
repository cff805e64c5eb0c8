import { FairShare, bulkCancel, bulkRetry, parseSelector, retryKey, submitBuild, type BuildSelector } from "@buildfleet/shared";
import { BuildId, BuildState, ConflictError, ForbiddenError, NotFoundError, Tenant, ValidationError, isTerminalState, summariseIssues, toFieldIssues, type BuildRecord } from "@buildfleet/contract";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { principalOf } from "../auth/authenticate.js";
import { allowListIssues } from "../auth/allow-list.js";
import { contextHost, contextHostIssue } from "../auth/context-hosts.js";
import type { TokenEntry } from "../auth/tokens.js";
import { buildSummary } from "../builds/summary.js";
import type { ApiContext } from "../context.js";
import { isAdmin, requireScopeOrAdmin, tenantOf } from "./scopes.js";

export const BulkBody = z
  .strictObject({
    /** Equality label selector: team=payments,env=prod. */
    selector: z.string().max(2048).optional(),
    state: z.union([BuildState, z.array(BuildState).min(1).max(7)]).optional(),
    /** Admins only: act on this tenant's builds (default: every tenant's). */
    tenant: Tenant.optional(),
    dryRun: z.boolean({ error: "expected true or false" }).default(false),
    all: z.boolean({ error: "expected true or false" }).default(false),
  })
  .refine((b) => b.selector !== undefined || b.state !== undefined, {
    error: "give a selector and/or a state (an empty selector would match every build)",
    path: ["selector"],
  });

/** The answer of a bulk operation (and of its dry run). */
export const BulkAnswerView = z.strictObject({
  dryRun: z.boolean(),
  matched: z.number().int(),
  truncated: z.boolean(),
  max: z.number().int(),
  needsAll: z.boolean(),
  ids: z.array(z.string()),
  done: z.number().int(),
  skipped: z.number().int(),
});

function selectorOf(principal: TokenEntry, body: z.infer<typeof BulkBody>, defaultStates?: BuildState[]): BuildSelector {
  const tenant = tenantOf(principal, body.tenant);
  const states = body.state === undefined ? defaultStates : Array.isArray(body.state) ? body.state : [body.state];
  return {
    ...(tenant !== undefined ? { tenant } : {}),
    ...(states ? { states } : {}),
    ...(body.selector !== undefined ? { labels: parseSelector(body.selector, "selector") } : {}),
  };
}

/**
 * Bulk cancel and retry by selector, and the retry of one build. Tenant-bound:
 * a tenant acts on its own builds; an admin token on any tenant's. Each build
 * goes through the normal path (requestCancel; submitBuild with the retry's
 * idempotency key), so repeating a request after a crash is harmless.
 */
export function registerBulkRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const max = ctx.config.fleet.bulkMaxWithoutAll;
  const parseBody = (body: unknown): z.infer<typeof BulkBody> => {
    const parsed = BulkBody.safeParse(body ?? {});
    if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error.issues, body));
    return parsed.data;
  };

  /** Submits the same request again as a new build recording retryOf (once per build: the idempotency key). */
  const resubmit = async (principal: TokenEntry, record: BuildRecord) => {
    const { idempotencyKey: _dropped, ...request } = record.request;
    if (!isAdmin(principal)) {
      // The token's allow-list may have narrowed since: check again as for a new submission.
      const forbidden = allowListIssues(principal, record.request);
      const host = contextHost(record.request.context);
      if (host !== undefined) {
        const issue = contextHostIssue(principal, host, await ctx.resolveHost(host));
        if (issue) forbidden.push(issue);
      }
      if (forbidden.length > 0) throw new ForbiddenError(summariseIssues(forbidden, "not allowed"), { fields: forbidden.map((i) => i.path) });
    }
    return submitBuild(
      { store: ctx.store, queue: ctx.queues, tagPolicy: ctx.config.builds.tagPolicy, fairShare: new FairShare(ctx.redis, ctx.ks) },
      { tenant: record.tenant, request, idempotencyKey: retryKey(record.id), retryOf: record.id },
    );
  };

  app.post("/v1/bulk/cancel", { onRequest: requireScopeOrAdmin(ctx.tokens, "cancel") }, async (request) => {
    const principal = principalOf(request);
    const body = parseBody(request.body);
    const selector = selectorOf(principal, body);
    const answer = await bulkCancel({ redis: ctx.redis, ks: ctx.ks, store: ctx.store, queue: ctx.queues }, selector, {
      dryRun: body.dryRun,
      all: body.all,
      max,
      by: `api:${principal.tenant}`,
    });
    request.log.warn({ tenant: principal.tenant, selector, ...answer, ids: undefined }, body.dryRun ? "bulk cancel dry run" : "bulk cancel");
    return answer;
  });

  app.post("/v1/bulk/retry", { onRequest: requireScopeOrAdmin(ctx.tokens, "submit") }, async (request) => {
    const principal = principalOf(request);
    const body = parseBody(request.body);
    const selector = selectorOf(principal, body, ["failed"]);
    const answer = await bulkRetry({ redis: ctx.redis, ks: ctx.ks }, selector, { dryRun: body.dryRun, all: body.all, max }, (r) => resubmit(principal, r));
    request.log.warn({ tenant: principal.tenant, selector, ...answer, ids: undefined }, body.dryRun ? "bulk retry dry run" : "bulk retry");
    return answer;
  });

  app.post<{ Params: { id: string } }>("/v1/builds/:id/retry", { onRequest: requireScopeOrAdmin(ctx.tokens, "submit") }, async (request, reply) => {
    const principal = principalOf(request);
    const id = request.params.id;
    const record = BuildId.safeParse(id).success ? await ctx.store.get(id) : undefined;
    // Another tenant's build answers as a missing one, so ids cannot be probed.
    if (!record || (!isAdmin(principal) && record.tenant !== principal.tenant)) throw new NotFoundError(`build ${id} not found`);
    if (!isTerminalState(record.state)) throw new ConflictError(`build ${id} is still ${record.state}; only a finished build can be retried`);
    const result = await resubmit(principal, record);
    const newId = result.created ? result.record.id : result.buildId;
    const state = result.record?.state ?? "queued";
    const estimate = state === "queued" ? await ctx.estimator.estimate(newId, record.request.priority) : undefined;
    request.log.info({ buildId: newId, retryOf: id, idempotent: !result.created }, "build retried");
    return reply.code(result.created ? 202 : 200).send({
      ...buildSummary({ id: newId, state }, { idempotent: !result.created, queuePosition: estimate?.queuePosition, etaSeconds: estimate?.etaSeconds }),
      retryOf: id,
    });
  });
}
