import { ScheduleStore, mirrorBuildRequest, nextFire, scheduleId, validateSchedule, type ScheduleRun, type StoredSchedule } from "@buildfleet/shared";
import { ForbiddenError, NotFoundError, ScheduleList, ScheduleView, ValidationError, imageNameProblem, summariseIssues, type FieldIssue } from "@buildfleet/contract";
import type { FastifyInstance } from "fastify";
import type { ApiContext } from "../context.js";
import { allowListIssues } from "../auth/allow-list.js";
import { principalOf, requireScope } from "../auth/authenticate.js";
import type { TokenEntry } from "../auth/tokens.js";

/**
 * Schedules over HTTP (issue 14): PUT (create or replace), GET one with its
 * next firing and recent runs, GET the tenant's list, DELETE, and trigger /
 * suspend / resume. Firing happens in the worker's scheduler; trigger only
 * marks the schedule, the next scheduler tick fires it.
 */

const NO_DIGEST = `sha256:${"0".repeat(64)}`;

function checkName(name: string): void {
  const problem = imageNameProblem(name);
  if (problem !== undefined) throw new ValidationError([{ path: "name", message: `${JSON.stringify(name)} is not a schedule name: ${problem}`, example: "busybox-mirror" }]);
}

/** The schedule builds as its tenant: the destinations and secrets it names are checked against the token now. */
function forbiddenIssues(principal: TokenEntry, stored: Pick<StoredSchedule, "schedule">, tagPolicy: ApiContext["config"]["builds"]["tagPolicy"]): FieldIssue[] {
  const target = stored.schedule.spec.target;
  if (target.build !== undefined) return allowListIssues(principal, target.build).map((i) => ({ ...i, path: `spec.target.build.${i.path}` }));
  if (target.mirror !== undefined) {
    const request = mirrorBuildRequest(target.mirror, NO_DIGEST, { scheduleName: stored.schedule.metadata.name, idempotencyKey: "check", tagPolicy });
    return allowListIssues(principal, request).map((i) => ({ ...i, path: `spec.target.mirror.${i.path}` }));
  }
  return [];
}

export function scheduleView(stored: StoredSchedule, runs: readonly ScheduleRun[], now: Date): ScheduleView {
  const spec = stored.schedule.spec;
  const last = runs[0];
  return ScheduleView.parse({
    ...stored.schedule,
    status: {
      tenant: stored.tenant,
      createdAt: stored.createdAt,
      updatedAt: stored.updatedAt,
      next: spec.suspend ? null : nextFire(spec.cron, spec.timeZone, now).toISOString(),
      last: last === undefined ? null : last.fireAt,
      result: last === undefined ? null : last.outcome === "skipped" || last.outcome === "failed" ? `${last.outcome}: ${last.reason ?? ""}` : last.outcome,
      runs,
    },
  });
}

export function registerScheduleRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { tokens } = ctx;
  const schedules = new ScheduleStore(ctx.redis, ctx.config.redis.prefix);
  const tagPolicy = ctx.config.builds.tagPolicy;

  const load = async (tenant: string, name: string): Promise<StoredSchedule> => {
    checkName(name);
    const stored = await schedules.get(tenant, name);
    if (stored === undefined) throw new NotFoundError(`schedule ${name} not found`);
    return stored;
  };
  const view = async (stored: StoredSchedule, limit?: number) =>
    scheduleView(stored, await schedules.runs(scheduleId(stored.tenant, stored.schedule.metadata.name), limit), new Date());

  app.put<{ Params: { name: string } }>("/v1/schedules/:name", { onRequest: requireScope(tokens, "submit") }, async (request, reply) => {
    const principal = principalOf(request);
    checkName(request.params.name);
    const validated = validateSchedule(request.body, { tagPolicy });
    if (!validated.ok) throw new ValidationError(validated.issues, summariseIssues(validated.issues, "invalid schedule"));
    const schedule = validated.value;
    if (schedule.metadata.name !== request.params.name) {
      throw new ValidationError([{ path: "metadata.name", message: `the document names schedule "${schedule.metadata.name}" but the path names "${request.params.name}"` }]);
    }
    let forbidden: FieldIssue[];
    try {
      forbidden = forbiddenIssues(principal, { schedule }, tagPolicy);
    } catch (err) {
      // The mirror build the schedule would submit is refused (e.g. the tag policy): say so now, store nothing.
      if (err instanceof ValidationError) throw new ValidationError(err.issues.map((i) => ({ ...i, path: `spec.target.mirror.${i.path}` })), summariseIssues(err.issues, "invalid schedule"));
      throw err;
    }
    if (forbidden.length > 0) throw new ForbiddenError(summariseIssues(forbidden, "not allowed"), { fields: forbidden.map((i) => i.path) });
    const { created, stored } = await schedules.put(principal.tenant, schedule);
    request.log.info({ schedule: scheduleId(principal.tenant, schedule.metadata.name), created }, "schedule applied");
    return reply.code(created ? 201 : 200).send({ result: created ? "created" : "configured", schedule: await view(stored) });
  });

  app.get("/v1/schedules", { onRequest: requireScope(tokens, "read") }, async (request) => {
    const principal = principalOf(request);
    const items = await Promise.all((await schedules.list(principal.tenant)).map((s) => view(s, 1)));
    return ScheduleList.parse({ items });
  });

  app.get<{ Params: { name: string } }>("/v1/schedules/:name", { onRequest: requireScope(tokens, "read") }, async (request) => {
    return view(await load(principalOf(request).tenant, request.params.name));
  });

  app.delete<{ Params: { name: string } }>("/v1/schedules/:name", { onRequest: requireScope(tokens, "submit") }, async (request) => {
    const principal = principalOf(request);
    await load(principal.tenant, request.params.name);
    await schedules.delete(principal.tenant, request.params.name);
    request.log.info({ schedule: scheduleId(principal.tenant, request.params.name) }, "schedule deleted");
    return { deleted: request.params.name };
  });

  app.post<{ Params: { name: string } }>("/v1/schedules/:name/trigger", { onRequest: requireScope(tokens, "submit") }, async (request, reply) => {
    const stored = await load(principalOf(request).tenant, request.params.name);
    const at = new Date();
    await schedules.requestTrigger(scheduleId(stored.tenant, stored.schedule.metadata.name), at);
    return reply.code(202).send({ triggered: request.params.name, fireAt: at.toISOString() });
  });

  for (const action of ["suspend", "resume"] as const) {
    app.post<{ Params: { name: string } }>(`/v1/schedules/:name/${action}`, { onRequest: requireScope(tokens, "submit") }, async (request) => {
      const stored = await load(principalOf(request).tenant, request.params.name);
      const schedule = { ...stored.schedule, spec: { ...stored.schedule.spec, suspend: action === "suspend" } };
      return view((await schedules.put(stored.tenant, schedule)).stored);
    });
  }
}
