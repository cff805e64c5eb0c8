import { CatalogStore, ON_FAILURE, WaveStore, cancelRebuild, formatPlanTree, planError, planRebuild, retryRebuild, startRebuild, waveStatus, type RunnerDeps, type TenantScope, type WaveDoc, type WavePlan, type WaveTrigger } from "@buildfleet/shared";
import { NotFoundError, Priority, ValidationError, toFieldIssues, type DryRunAnswer, type RebuildPlanView, type WaveList, type WaveNodeView, type WaveView } from "@buildfleet/contract";
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import { z } from "zod";
import type { ApiContext } from "../context.js";
import { principalOf, requireScope } from "../auth/authenticate.js";
import type { Scope, TokenTable } from "../auth/tokens.js";

/**
 * Rebuild waves over HTTP: plan (dry run) or start, read, list, cancel,
 * retry. The API does a wave's first step itself (enqueue its first level);
 * the coordinator in the worker process advances it from build events.
 */

export const StartRebuildBody = z
  .strictObject({
    base: z.string().min(1).max(512).optional(),
    images: z.array(z.string().min(1).max(200)).min(1).max(1000).optional(),
    dryRun: z.boolean().default(false),
    maxInFlight: z.number().int().min(1).max(1000).optional(),
    onFailure: z.enum(ON_FAILURE).optional(),
    reason: z.string().max(1024).optional(),
    priority: Priority.optional(),
  })
  .check((ctx) => {
    const both = ctx.value.base !== undefined && ctx.value.images !== undefined;
    const neither = ctx.value.base === undefined && ctx.value.images === undefined;
    if (both || neither) {
      ctx.issues.push({ code: "custom", input: ctx.value, path: ["base"], message: "give exactly one of base (an image reference or Image name) or images (Image names)" });
    }
  });
export type StartRebuildBody = z.infer<typeof StartRebuildBody>;

export const ListRebuildsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) });

/** A plan for people and programs: levels, and each node with its tenant, pins and warnings. */
/** A plan as a dry run answers it (the contract's RebuildPlanView). */
export function planView(plan: WavePlan): RebuildPlanView {
  return { levels: plan.levels, nodes: plan.nodes, warnings: plan.warnings, tree: formatPlanTree(plan) };
}

/**
 * A wave as every /v1/rebuilds route answers it. Typed as the contract's
 * WaveView (the SDK's type is inferred from it), so a field added or renamed
 * here fails the typecheck instead of drifting from what clients expect.
 */
export function waveView(doc: WaveDoc): WaveView {
  const status = waveStatus(doc.wave);
  const planned = new Map(doc.plan.nodes.map((n) => [n.id, n]));
  return {
    id: doc.id,
    state: doc.state,
    startedBy: doc.startedBy,
    trigger: doc.trigger,
    // Spreads escape the excess-property check: `satisfies` keeps a renamed optional field a type error.
    ...(doc.reason !== undefined ? ({ reason: doc.reason } satisfies Partial<WaveView>) : {}),
    priority: doc.priority,
    options: doc.wave.options,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    finishedAt: doc.finishedAt ?? null,
    eventSeq: doc.eventSeq,
    counts: status.counts,
    levels: doc.plan.levels,
    warnings: doc.plan.warnings,
    nodes: doc.wave.nodes.map((node): WaveNodeView => {
      const plan = planned.get(node.id);
      const build = doc.builds[node.id];
      return {
        id: node.id,
        image: plan?.image ?? node.id,
        tenant: plan?.tenant ?? "",
        level: node.level,
        parents: [...node.parents],
        state: node.state,
        attempt: node.attempt,
        buildId: build?.attempt === node.attempt ? build.buildId : null,
        digest: node.digest ?? null,
        ...(node.reason !== undefined ? ({ reason: node.reason } satisfies Partial<WaveNodeView>) : {}),
        ...(node.skippedBecause !== undefined ? ({ skippedBecause: node.skippedBecause } satisfies Partial<WaveNodeView>) : {}),
        bases: plan?.bases ?? [],
        pins: build?.pins ?? [],
        warnings: plan?.warnings ?? [],
      };
    }),
  };
}

/**
 * `scope`, or `admin`: an admin token (often read + admin only) starts and
 * cancels waves over every tenant's images; each build still runs as its image's tenant.
 */
function requireScopeOrAdmin(tokens: TokenTable, scope: Scope): onRequestAsyncHookHandler {
  const own = requireScope(tokens, scope);
  const admin = requireScope(tokens, "admin");
  return async function (request, reply) {
    try {
      await own.call(this, request, reply);
    } catch (err) {
      // No token or an unknown one: that answer stands. A known token without the scope may still be admin.
      if (request.principal === undefined) throw err;
      await admin.call(this, request, reply);
    }
  };
}

function scopeOf(request: FastifyRequest): TenantScope {
  const principal = principalOf(request);
  return principal.scopes.includes("admin") ? { kind: "admin" } : { kind: "tenant", tenant: principal.tenant };
}

/** The waves a caller may see: its own tenant's; an admin every wave. */
export function waveVisible(request: FastifyRequest, doc: Pick<WaveDoc, "scope" | "tenant">): boolean {
  const principal = principalOf(request);
  return principal.scopes.includes("admin") || (doc.scope === "tenant" && doc.tenant === principal.tenant);
}
const visible = waveVisible;

export function registerRebuildRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { tokens } = ctx;
  const deps: RunnerDeps = {
    store: ctx.store,
    queue: ctx.queues,
    redis: ctx.redis,
    ks: ctx.ks,
    tagPolicy: ctx.config.builds.tagPolicy,
    catalog: new CatalogStore(ctx.redis, ctx.ks),
    waves: new WaveStore(ctx.redis, ctx.ks),
    logger: ctx.logger.child({ component: "rebuilds" }),
  };

  const ownWave = async (request: FastifyRequest<{ Params: { id: string } }>): Promise<WaveDoc> => {
    const doc = await deps.waves.get(request.params.id);
    // The same answer for another tenant's wave as for none: ids cannot be probed.
    if (doc === undefined || !visible(request, doc)) throw new NotFoundError(`rebuild wave ${request.params.id} not found`);
    return doc;
  };

  app.post("/v1/rebuilds", { onRequest: requireScopeOrAdmin(tokens, "submit") }, async (request, reply) => {
    const parsed = StartRebuildBody.safeParse(request.body ?? {});
    if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error.issues, request.body));
    const body = parsed.data;
    const scope = scopeOf(request);
    const trigger: WaveTrigger = body.images !== undefined ? { images: body.images } : { base: body.base ?? "" };
    if (body.dryRun) {
      const { result } = await planRebuild(deps, scope, trigger);
      if (!result.ok) throw planError(result);
      return reply.code(200).send({ dryRun: true, plan: planView(result.plan) } satisfies DryRunAnswer);
    }
    const doc = await startRebuild(deps, {
      startedBy: principalOf(request).tenant,
      scope,
      trigger,
      options: { ...(body.maxInFlight !== undefined ? { maxInFlight: body.maxInFlight } : {}), ...(body.onFailure !== undefined ? { onFailure: body.onFailure } : {}) },
      ...(body.reason !== undefined ? { reason: body.reason } : {}),
      ...(body.priority !== undefined ? { priority: body.priority } : {}),
    });
    return reply.code(201).send(waveView(doc));
  });

  app.get("/v1/rebuilds", { onRequest: requireScope(tokens, "read") }, async (request) => {
    const parsed = ListRebuildsQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error.issues, request.query));
    const docs = await deps.waves.list({ limit: parsed.data.limit, visible: (doc) => visible(request, doc) });
    return { items: docs.map(waveView) } satisfies WaveList;
  });

  app.get<{ Params: { id: string } }>("/v1/rebuilds/:id", { onRequest: requireScope(tokens, "read") }, async (request) => waveView(await ownWave(request)));

  app.post<{ Params: { id: string } }>("/v1/rebuilds/:id/cancel", { onRequest: requireScopeOrAdmin(tokens, "cancel") }, async (request, reply) => {
    const doc = await ownWave(request);
    const after = (await cancelRebuild(deps, doc.id, `api:${principalOf(request).tenant}`)) ?? doc;
    return reply.code(202).send(waveView(after));
  });

  app.post<{ Params: { id: string } }>("/v1/rebuilds/:id/retry", { onRequest: requireScopeOrAdmin(tokens, "submit") }, async (request, reply) => {
    const doc = await ownWave(request);
    const after = (await retryRebuild(deps, doc.id)) ?? doc;
    return reply.code(202).send(waveView(after));
  });
}
