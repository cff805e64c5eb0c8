import { DeliveryStore, WebhookStore } from "@buildfleet/shared";
import { DeliveryState, NotFoundError, RotateSecretRequest, ValidationError, WebhookName, WebhookSpec, toFieldIssues, type WebhookList, type WebhookView, type WebhookWithSecret } from "@buildfleet/contract";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { principalOf, requireScope } from "../auth/authenticate.js";
import type { ApiContext } from "../context.js";
import { checkWebhookTarget } from "./check-target.js";

/**
 * Tenant-owned webhooks. A tenant sees and changes only its own: every key is
 * under the caller's tenant, so another tenant's name is simply not found.
 * Writes need the submit scope (they cause outbound traffic), reads the read scope.
 */

const DeliveriesQuery = z.strictObject({
  state: DeliveryState.optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});

function parse<T>(schema: z.ZodType<T>, value: unknown, at = ""): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error.issues, value);
    throw new ValidationError(at === "" ? issues : issues.map((i) => ({ ...i, path: i.path === "" ? at : `${at}.${i.path}` })));
  }
  return parsed.data;
}

const nameOf = (params: unknown): string => parse(WebhookName, (params as { name?: unknown }).name, "name");

export function registerWebhookRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const webhooks = new WebhookStore(ctx.redis, ctx.config.redis.prefix);
  const deliveries = new DeliveryStore(ctx.redis, ctx.config.redis.prefix);
  const policy = { allowHttp: ctx.config.webhooks.allowHttp, allowedHosts: ctx.config.webhooks.allowedHosts };
  const canRead = { onRequest: requireScope(ctx.tokens, "read") };
  const canWrite = { onRequest: requireScope(ctx.tokens, "submit") };

  const mustExist = async (tenant: string, name: string): Promise<WebhookView> => {
    const found = await webhooks.get(tenant, name);
    if (!found) throw new NotFoundError(`no webhook ${name} for tenant ${tenant}`);
    return found;
  };

  app.put("/v1/webhooks/:name", canWrite, async (request, reply) => {
    const { tenant } = principalOf(request);
    const name = nameOf(request.params);
    const spec = parse(WebhookSpec, request.body ?? {});
    await checkWebhookTarget(spec.url, policy, ctx.resolveHost);
    const result = await webhooks.put(tenant, name, spec);
    request.log.info({ tenant, webhook: name, created: result.created }, "webhook saved");
    const body: WebhookWithSecret = result.secret === undefined ? { webhook: result.webhook } : { webhook: result.webhook, secret: result.secret };
    return reply.code(result.created ? 201 : 200).send(body);
  });

  app.get("/v1/webhooks", canRead, async (request): Promise<WebhookList> => {
    const { tenant } = principalOf(request);
    return { webhooks: (await webhooks.list(tenant)).map((w) => w.view) };
  });

  app.get("/v1/webhooks/:name", canRead, async (request): Promise<WebhookView> => {
    return mustExist(principalOf(request).tenant, nameOf(request.params));
  });

  app.delete("/v1/webhooks/:name", canWrite, async (request, reply) => {
    const { tenant } = principalOf(request);
    const name = nameOf(request.params);
    if (!(await webhooks.delete(tenant, name))) throw new NotFoundError(`no webhook ${name} for tenant ${tenant}`);
    request.log.info({ tenant, webhook: name }, "webhook deleted");
    return reply.code(204).send();
  });

  app.post("/v1/webhooks/:name/rotate-secret", canWrite, async (request): Promise<WebhookWithSecret> => {
    const { tenant } = principalOf(request);
    const name = nameOf(request.params);
    const { graceSeconds } = parse(RotateSecretRequest, request.body ?? {});
    const rotated = await webhooks.rotateSecret(tenant, name, graceSeconds);
    request.log.info({ tenant, webhook: name, graceSeconds }, "webhook secret rotated");
    return rotated;
  });

  app.get("/v1/webhooks/:name/deliveries", canRead, async (request) => {
    const { tenant } = principalOf(request);
    const name = nameOf(request.params);
    const query = parse(DeliveriesQuery, request.query ?? {});
    await mustExist(tenant, name);
    return { deliveries: await deliveries.list(tenant, name, query) };
  });

  app.post("/v1/webhook-deliveries/:id/redeliver", canWrite, async (request, reply) => {
    const { tenant } = principalOf(request);
    const id = parse(z.string().regex(/^msg_[0-9a-f]{32}$/, { error: "expected a delivery id (msg_ and 32 hex digits)" }), (request.params as { id?: unknown }).id, "id");
    const delivery = await deliveries.redeliver(tenant, id);
    request.log.info({ tenant, delivery: id }, "webhook delivery requeued");
    return reply.code(202).send(delivery);
  });
}
