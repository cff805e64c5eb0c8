import { BuildEvent, BuildRecord, BuildRequest, ERROR_CODES } from "@buildfleet/shared";
import { z } from "zod";
import { BuildSummary } from "../builds/summary.js";
import { QueueView } from "../queue/routes.js";
import { WEBHOOK_OPERATIONS, WEBHOOK_SCHEMAS } from "../webhooks/openapi.js";

/**
 * The OpenAPI 3 document, generated from the same zod schemas the API
 * validates with (z.toJSONSchema), so it cannot drift from them. Only the
 * list of operations below is written here.
 */

const ErrorBody = z.strictObject({
  error: z.strictObject({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    issues: z.array(z.strictObject({ path: z.string(), message: z.string(), example: z.string().optional() })).optional(),
  }),
});
const BuildView = BuildRecord.extend({ events: z.array(BuildEvent) });
const BuildList = z.strictObject({ items: z.array(BuildRecord), nextCursor: z.string().nullable() });

const SCHEMAS: Record<string, { schema: z.ZodType; io: "input" | "output" }> = {
  BuildRequest: { schema: BuildRequest, io: "input" },
  BuildSummary: { schema: BuildSummary, io: "output" },
  BuildRecord: { schema: BuildRecord, io: "output" },
  BuildEvent: { schema: BuildEvent, io: "output" },
  BuildView: { schema: BuildView, io: "output" },
  BuildList: { schema: BuildList, io: "output" },
  QueueView: { schema: QueueView, io: "output" },
  Error: { schema: ErrorBody, io: "output" },
  ...WEBHOOK_SCHEMAS,
};

type Scope = "submit" | "read" | "cancel" | "admin";
export interface Operation {
  method: "get" | "post" | "put" | "delete";
  path: string;
  summary: string;
  scope?: Scope;
  body?: string;
  ok: { status: number; schema?: string; contentType?: string; description: string }[];
  errors: number[];
  parameters?: { name: string; in: "path" | "query" | "header"; schema: object; description: string }[];
}

const id = { name: "id", in: "path" as const, schema: { type: "string" }, description: "build id" };
const ERROR_STATUS: Record<number, string> = {
  400: "invalid input (issues name each bad field)",
  401: "missing or unknown bearer token",
  403: "scope missing, or a registry/Secret outside the tenant's allow-list",
  404: "no such build for this tenant",
  409: "the build already finished",
  413: "body larger than the limit",
  429: "rate limit of this token exceeded",
  503: "Redis unavailable",
};

const OPERATIONS: Operation[] = [
  {
    method: "post", path: "/v1/builds", summary: "Submit a build", scope: "submit", body: "BuildRequest",
    parameters: [{ name: "Idempotency-Key", in: "header", schema: { type: "string" }, description: "overrides idempotencyKey in the body" }],
    ok: [{ status: 202, schema: "BuildSummary", description: "queued" }, { status: 200, schema: "BuildSummary", description: "existing build of this idempotency key" }],
    errors: [400, 401, 403, 413, 429, 503],
  },
  {
    method: "get", path: "/v1/builds", summary: "List the tenant's builds, newest first", scope: "read",
    parameters: [
      { name: "state", in: "query", schema: { type: "array", items: { type: "string" } }, description: "repeatable" },
      { name: "label", in: "query", schema: { type: "array", items: { type: "string" } }, description: "key=value, repeatable" },
      { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 200, default: 50 }, description: "page size" },
      { name: "cursor", in: "query", schema: { type: "string" }, description: "nextCursor of the previous page" },
    ],
    ok: [{ status: 200, schema: "BuildList", description: "a page" }], errors: [400, 401, 403, 429],
  },
  { method: "get", path: "/v1/builds/{id}", summary: "A build with its event history", scope: "read", parameters: [id], ok: [{ status: 200, schema: "BuildView", description: "the build" }], errors: [401, 403, 404, 429] },
  { method: "post", path: "/v1/builds/{id}/cancel", summary: "Cancel a build", scope: "cancel", parameters: [id], ok: [{ status: 202, schema: "BuildRecord", description: "the record after the request" }], errors: [401, 403, 404, 409, 429] },
  { method: "delete", path: "/v1/builds/{id}", summary: "Cancel a build", scope: "cancel", parameters: [id], ok: [{ status: 202, schema: "BuildRecord", description: "the record after the request" }], errors: [401, 403, 404, 409, 429] },
  {
    method: "get", path: "/v1/builds/{id}/logs", summary: "A build's log, one line per line", scope: "read",
    parameters: [id, { name: "follow", in: "query", schema: { type: "boolean" }, description: "stream until the build ends" }, { name: "tail", in: "query", schema: { type: "integer", minimum: 0 }, description: "last N lines" }],
    ok: [{ status: 200, contentType: "text/plain", description: "log lines" }], errors: [400, 401, 403, 404, 429],
  },
  {
    method: "get", path: "/v1/events", summary: "Build events as Server-Sent Events (CloudEvents JSON in data)", scope: "read",
    parameters: [
      { name: "buildId", in: "query", schema: { type: "string" }, description: "only this build" },
      { name: "since", in: "query", schema: { type: "string" }, description: "resume after this event id" },
      { name: "Last-Event-ID", in: "header", schema: { type: "string" }, description: "resume after this event id" },
    ],
    ok: [{ status: 200, contentType: "text/event-stream", description: "event stream" }], errors: [400, 401, 403, 404, 429],
  },
  { method: "get", path: "/v1/queue", summary: "Queue counts and paused flag", scope: "read", ok: [{ status: 200, schema: "QueueView", description: "the queue" }], errors: [401, 403, 429] },
  { method: "post", path: "/v1/queue/pause", summary: "Pause the queue (workers take no new builds)", scope: "admin", ok: [{ status: 200, schema: "QueueView", description: "the queue" }], errors: [401, 403, 429] },
  { method: "post", path: "/v1/queue/resume", summary: "Resume the queue", scope: "admin", ok: [{ status: 200, schema: "QueueView", description: "the queue" }], errors: [401, 403, 429] },
  { method: "get", path: "/healthz", summary: "Liveness", ok: [{ status: 200, description: "alive" }], errors: [] },
  { method: "get", path: "/readyz", summary: "Readiness (Redis reachable)", ok: [{ status: 200, description: "ready" }], errors: [503] },
  { method: "get", path: "/metrics", summary: "Prometheus metrics", ok: [{ status: 200, contentType: "text/plain", description: "metrics" }], errors: [] },
  ...WEBHOOK_OPERATIONS,
];

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

export function openApiDocument(version = "1.0.0"): Record<string, unknown> {
  const schemas = Object.fromEntries(
    Object.entries(SCHEMAS).map(([name, { schema, io }]) => [
      name,
      // Refinements and transforms (image reference checks, Dockerfile shape) cannot be expressed: they become open schemas.
      z.toJSONSchema(schema, { io, target: "openapi-3.0", unrepresentable: "any" }),
    ]),
  );
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const responses: Record<string, unknown> = {};
    for (const ok of op.ok) {
      const contentType = ok.contentType ?? "application/json";
      responses[String(ok.status)] = {
        description: ok.description,
        ...(ok.schema || ok.contentType ? { content: { [contentType]: { schema: ok.schema ? ref(ok.schema) : { type: "string" } } } } : {}),
      };
    }
    for (const status of op.errors) {
      responses[String(status)] = { description: ERROR_STATUS[status] ?? "error", content: { "application/json": { schema: ref("Error") } } };
    }
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      ...(op.scope ? { security: [{ bearer: [op.scope] }], "x-buildfleet-scope": op.scope } : { security: [] }),
      ...(op.parameters ? { parameters: op.parameters.map((p) => ({ ...p, required: p.in === "path" })) } : {}),
      ...(op.body ? { requestBody: { required: true, content: { "application/json": { schema: ref(op.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: "3.0.3",
    info: { title: "buildfleet API", version, description: "Queue-backed container image builds (Kaniko on Kubernetes)." },
    components: { schemas, securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: [{ bearer: [] }],
    paths,
  };
}
