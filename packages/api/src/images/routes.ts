import { CatalogStore, buildGraph, childIds, dependents, describeSource, imageId, parentIds, toDot, toEntry, type CatalogGraph, type ImageBuildStatus, type StoredImage } from "@buildfleet/shared";
import { ConflictError, ForbiddenError, ImageGraph, ImageList, ImageView, NotFoundError, ValidationError, imageNameProblem, summariseIssues, toFieldIssues, validateImage } from "@buildfleet/contract";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { ApiContext } from "../context.js";
import { allowListIssues } from "../auth/allow-list.js";
import { principalOf, requireScope } from "../auth/authenticate.js";

/**
 * The image catalog over HTTP: PUT (create or replace, checked against the
 * whole catalog), GET one with its bases, parents, dependents and last
 * build, GET the list (label selector), DELETE, and the FROM graph as JSON
 * or Graphviz DOT. Images belong to the tenant of the token; an admin token
 * sees every tenant's images in lists and the graph.
 */

const Label = z.string().regex(/^[^=]{1,317}=[^=]{0,63}$/, { error: "expected key=value, e.g. team=platform" });
const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).max(20)]).transform((v) => (Array.isArray(v) ? v : [v]));

export const ImageListQuery = z.strictObject({ label: oneOrMany(Label).optional() });
export const GraphQuery = z.strictObject({ format: z.enum(["json", "dot"]).default("json") });
export const DependentsQuery = z.strictObject({ base: z.string().min(1).max(512) });

/** The stored image as the API shows it. */
export function imageView(stored: StoredImage, graph: CatalogGraph | undefined, status: ImageBuildStatus | undefined): ImageView {
  const id = imageId(stored.tenant, stored.image.metadata.name);
  const resolution =
    stored.resolution.state === "resolved"
      ? { state: "resolved" as const, bases: stored.resolution.bases.map((b) => ({ reference: b.reference, from: describeSource(b.source as never) })) }
      : { state: "unresolved" as const, reason: stored.resolution.reason };
  return ImageView.parse({
    ...stored.image,
    status: {
      tenant: stored.tenant,
      id,
      generation: stored.generation,
      createdAt: stored.createdAt,
      updatedAt: stored.updatedAt,
      bases: resolution,
      ...(graph !== undefined ? { parents: [...parentIds(graph, id)], children: [...childIds(graph, id)], dependents: dependents(graph, { id }) } : {}),
      lastBuild: status?.lastBuildId ?? null,
      lastDigest: status?.lastDigest ?? null,
      builtFrom: status?.builtFrom ?? {},
    },
  });
}

const isAdmin = (request: FastifyRequest) => principalOf(request).scopes.includes("admin");

function checkName(name: string): void {
  const problem = imageNameProblem(name);
  if (problem !== undefined) throw new ValidationError([{ path: "name", message: `${JSON.stringify(name)} is not an image name: ${problem}`, example: "python-runtime" }]);
}

export function registerImageRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { tokens } = ctx;
  const catalog = new CatalogStore(ctx.redis, ctx.ks);

  app.put<{ Params: { name: string } }>("/v1/images/:name", { onRequest: requireScope(tokens, "submit") }, async (request, reply) => {
    const principal = principalOf(request);
    checkName(request.params.name);
    const validated = validateImage(request.body, { tagPolicy: ctx.config.builds.tagPolicy });
    if (!validated.ok) throw new ValidationError(validated.issues, summariseIssues(validated.issues, "invalid image"));
    const image = validated.value;
    if (image.metadata.name !== request.params.name) {
      throw new ValidationError([{ path: "metadata.name", message: `the document names image "${image.metadata.name}" but the path names "${request.params.name}"` }]);
    }
    // Each rebuild runs as the image's tenant: its allow-lists are checked now, not when a wave runs.
    const forbidden = allowListIssues(principal, image.spec.build).map((i) => ({ ...i, path: `spec.build.${i.path}` }));
    if (forbidden.length > 0) throw new ForbiddenError(summariseIssues(forbidden, "not allowed"), { fields: forbidden.map((i) => i.path) });
    const outcome = await catalog.apply(principal.tenant, image);
    if (!outcome.ok) {
      const check = outcome.check;
      if (check.problem === "destination-taken") throw new ConflictError(check.message, { destination: check.destination, owner: check.owner });
      // 422: the document is valid, the catalog it would make is not.
      return reply.code(422).send({ error: { code: "VALIDATION_FAILED", message: check.message, issues: [{ path: "spec.build", message: check.message }], cycle: check.cycle } });
    }
    request.log.info({ image: imageId(principal.tenant, image.metadata.name), result: outcome.result }, "image applied");
    return reply.code(outcome.result === "created" ? 201 : 200).send({ result: outcome.result, image: imageView(outcome.stored, undefined, undefined) });
  });

  app.get("/v1/images", { onRequest: requireScope(tokens, "read") }, async (request) => {
    const principal = principalOf(request);
    const parsed = ImageListQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error.issues, request.query));
    const labels = (parsed.data.label ?? []).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const);
    const { images, status } = await catalog.catalog();
    const admin = isAdmin(request);
    const items = images
      .filter((s) => admin || s.tenant === principal.tenant)
      .filter((s) => labels.every(([k, v]) => s.image.metadata.labels?.[k] === v))
      .map((s) => imageView(s, undefined, status.get(imageId(s.tenant, s.image.metadata.name))));
    return ImageList.parse({ items });
  });

  app.get("/v1/images/graph", { onRequest: requireScope(tokens, "read") }, async (request, reply) => {
    const principal = principalOf(request);
    const parsed = GraphQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error.issues, request.query));
    const { images, catalog: all } = await catalog.catalog();
    const admin = isAdmin(request);
    const graph = buildGraph({ ...all, entries: images.filter((s) => admin || s.tenant === principal.tenant).map(toEntry) });
    if (parsed.data.format === "dot") return reply.type("text/vnd.graphviz; charset=utf-8").send(toDot(graph));
    return ImageGraph.parse({
      nodes: graph.ids.map((id) => {
        const node = graph.nodes.get(id)!;
        return { id, tenant: node.tenant, name: node.name, resolved: node.resolution.state === "resolved", destinations: node.destinations };
      }),
      edges: graph.edges.map((e) => ({ from: e.from, to: e.to, reference: e.reference, via: describeSource(e.source) })),
    });
  });

  app.get("/v1/images/graph/dependents", { onRequest: requireScope(tokens, "read") }, async (request) => {
    const principal = principalOf(request);
    const parsed = DependentsQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error.issues, request.query));
    const { catalog: all } = await catalog.catalog();
    const graph = buildGraph(all);
    const base = parsed.data.base;
    const own = imageId(principal.tenant, base);
    const ids = graph.nodes.has(own) ? dependents(graph, { id: own }) : dependents(graph, { reference: base });
    const admin = isAdmin(request);
    return { base, dependents: ids.filter((id) => admin || graph.nodes.get(id)?.tenant === principal.tenant) };
  });

  app.get<{ Params: { name: string } }>("/v1/images/:name", { onRequest: requireScope(tokens, "read") }, async (request) => {
    const principal = principalOf(request);
    checkName(request.params.name);
    const { images, catalog: all, status } = await catalog.catalog();
    const id = imageId(principal.tenant, request.params.name);
    const stored = images.find((s) => imageId(s.tenant, s.image.metadata.name) === id);
    if (stored === undefined) throw new NotFoundError(`image ${request.params.name} not found`);
    return imageView(stored, buildGraph(all), status.get(id));
  });

  app.delete<{ Params: { name: string } }>("/v1/images/:name", { onRequest: requireScope(tokens, "submit") }, async (request) => {
    const principal = principalOf(request);
    checkName(request.params.name);
    if (!(await catalog.delete(principal.tenant, request.params.name))) throw new NotFoundError(`image ${request.params.name} not found`);
    request.log.info({ image: imageId(principal.tenant, request.params.name) }, "image deleted");
    return { deleted: request.params.name };
  });
}
