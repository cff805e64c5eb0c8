import { BuildEvent, BuildList, BuildRecord, BuildRequest, BuildView, DryRunAnswer, ErrorBody, Image, ImageGraph, ImageList, ImageView, ScheduleList, ScheduleView, WaveList, WaveView } from "@buildfleet/contract";
import { z } from "zod";
import { BuildSummary } from "../builds/summary.js";
import { QueueView } from "../queue/routes.js";
import { QueueLanes } from "../queue/lanes.js";
import { SessionRequest, SessionView } from "../ui/session-routes.js";
import { FLEET_OPERATIONS, FLEET_SCHEMAS } from "../fleet/openapi.js";
import { StartRebuildBody } from "../rebuilds/routes.js";
import { WEBHOOK_OPERATIONS, WEBHOOK_SCHEMAS } from "../webhooks/openapi.js";

/**
 * The OpenAPI 3 document, generated from the same zod schemas the API
 * validates with (z.toJSONSchema), so it cannot drift from them. Only the
 * list of operations below is written here.
 */


const SCHEMAS: Record<string, { schema: z.ZodType; io: "input" | "output" }> = {
  BuildRequest: { schema: BuildRequest, io: "input" },
  BuildSummary: { schema: BuildSummary, io: "output" },
  BuildRecord: { schema: BuildRecord, io: "output" },
  BuildEvent: { schema: BuildEvent, io: "output" },
  BuildView: { schema: BuildView, io: "output" },
  BuildList: { schema: BuildList, io: "output" },
  QueueView: { schema: QueueView, io: "output" },
  QueueLanes: { schema: QueueLanes, io: "output" },
  Error: { schema: ErrorBody, io: "output" },
  SessionRequest: { schema: SessionRequest, io: "input" },
  SessionView: { schema: SessionView, io: "output" },
  ...FLEET_SCHEMAS,
  Image: { schema: Image, io: "input" },
  ImageView: { schema: ImageView, io: "output" },
  ImageList: { schema: ImageList, io: "output" },
  ImageGraph: { schema: ImageGraph, io: "output" },
  ScheduleView: { schema: ScheduleView, io: "output" },
  ScheduleList: { schema: ScheduleList, io: "output" },
  StartRebuild: { schema: StartRebuildBody, io: "input" },
  RebuildDryRun: { schema: DryRunAnswer, io: "output" },
  Wave: { schema: WaveView, io: "output" },
  WaveList: { schema: WaveList, io: "output" },
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
const imageName = { name: "name", in: "path" as const, schema: { type: "string" }, description: "Image name (DNS-1123 label)" };
const waveId = { name: "id", in: "path" as const, schema: { type: "string" }, description: "rebuild wave id" };
const ERROR_STATUS: Record<number, string> = {
  400: "invalid input (issues name each bad field)",
  401: "missing or unknown bearer token (or dashboard session)",
  403: "scope missing, a registry/Secret outside the tenant's allow-list, or a dashboard call without its X-CSRF-Token",
  404: "no such build for this tenant",
  409: "the build already finished",
  413: "body larger than the limit",
  422: "IDEMPOTENCY_KEY_REUSED (the key was used for another request; the message names that build), or an Image that would close a cycle in the catalog (the message names it)",
  429: "rate limit of this token exceeded",
  503: "Redis unavailable, or (submissions) a drain with rejectNew: see Retry-After",
};

const OPERATIONS: Operation[] = [
  {
    method: "post", path: "/v1/builds", summary: "Submit a build", scope: "submit", body: "BuildRequest",
    parameters: [{ name: "Idempotency-Key", in: "header", schema: { type: "string" }, description: "overrides idempotencyKey in the body" }],
    ok: [{ status: 202, schema: "BuildSummary", description: "queued" }, { status: 200, schema: "BuildSummary", description: "existing build of this idempotency key" }],
    errors: [400, 401, 403, 413, 422, 429, 503],
  },
  {
    method: "get", path: "/v1/builds", summary: "List the tenant's builds, newest first", scope: "read",
    parameters: [
      { name: "state", in: "query", schema: { type: "array", items: { type: "string" } }, description: "repeatable" },
      { name: "label", in: "query", schema: { type: "array", items: { type: "string" } }, description: "key=value, repeatable" },
      { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 200, default: 50 }, description: "page size" },
      { name: "cursor", in: "query", schema: { type: "string" }, description: "nextCursor of the previous page" },
      { name: "tenant", in: "query", schema: { type: "string" }, description: "another tenant's builds (admin scope only)" },
    ],
    ok: [{ status: 200, schema: "BuildList", description: "a page" }], errors: [400, 401, 403, 429],
  },
  { method: "get", path: "/v1/builds/{id}", summary: "A build with its event history", scope: "read", parameters: [id], ok: [{ status: 200, schema: "BuildView", description: "the build" }], errors: [401, 403, 404, 429] },
  { method: "post", path: "/v1/builds/{id}/cancel", summary: "Cancel a build", scope: "cancel", parameters: [id], ok: [{ status: 202, schema: "BuildRecord", description: "the record after the request" }], errors: [401, 403, 404, 409, 429] },
  { method: "delete", path: "/v1/builds/{id}", summary: "Cancel a build", scope: "cancel", parameters: [id], ok: [{ status: 202, schema: "BuildRecord", description: "the record after the request" }], errors: [401, 403, 404, 409, 429] },
  {
    method: "get", path: "/v1/builds/{id}/logs", summary: "A build's log, one line per line", scope: "read",
    parameters: [
      id,
      { name: "follow", in: "query", schema: { type: "boolean" }, description: "stream until the build ends" },
      { name: "tail", in: "query", schema: { type: "integer", minimum: 0 }, description: "last N lines (of those sinceTime/sinceSeconds keep)" },
      { name: "sinceTime", in: "query", schema: { type: "string", format: "date-time" }, description: "only lines written at or after this RFC 3339 time" },
      { name: "sinceSeconds", in: "query", schema: { type: "integer", minimum: 1 }, description: "only lines written in the last N seconds (not with sinceTime)" },
      { name: "timestamps", in: "query", schema: { type: "boolean" }, description: "prefix each line with the time it was written (RFC 3339) and a space" },
    ],
    ok: [{ status: 200, contentType: "text/plain", description: "log lines" }], errors: [400, 401, 403, 404, 429],
  },
  {
    method: "get", path: "/v1/events", summary: "Build and rebuild wave events as Server-Sent Events (CloudEvents JSON in data)", scope: "read",
    parameters: [
      { name: "buildId", in: "query", schema: { type: "string" }, description: "only this build" },
      { name: "waveId", in: "query", schema: { type: "string" }, description: "only this rebuild wave's rebuild.* events (from its first without a resume point)" },
      { name: "builds", in: "query", schema: { type: "boolean", default: false }, description: "with waveId: its builds' build.* events too (a node's running state is announced by those only)" },
      { name: "since", in: "query", schema: { type: "string" }, description: "resume after this event id" },
      { name: "tenant", in: "query", schema: { type: "string" }, description: "another tenant's events (admin scope only)" },
      { name: "Last-Event-ID", in: "header", schema: { type: "string" }, description: "resume after this event id" },
    ],
    ok: [{ status: 200, contentType: "text/event-stream", description: "event stream" }], errors: [400, 401, 403, 404, 429],
  },
  { method: "get", path: "/v1/queue", summary: "Queue counts and paused flag", scope: "read", ok: [{ status: 200, schema: "QueueView", description: "the queue" }], errors: [401, 403, 429] },
  { method: "get", path: "/v1/queue/lanes", summary: "Jobs in the queue by lane", scope: "admin", ok: [{ status: 200, schema: "QueueLanes", description: "every lane" }], errors: [401, 403, 429] },
  { method: "post", path: "/v1/queue/pause", summary: "Pause the queue (workers take no new builds)", scope: "admin", ok: [{ status: 200, schema: "QueueView", description: "the queue" }], errors: [401, 403, 429] },
  { method: "post", path: "/v1/queue/resume", summary: "Resume the queue", scope: "admin", ok: [{ status: 200, schema: "QueueView", description: "the queue" }], errors: [401, 403, 429] },
  {
    method: "post", path: "/ui/session", summary: "Sign in to the dashboard: sets an HttpOnly, SameSite=Strict session cookie that stands for the token on /v1 routes (state-changing calls also need the returned csrfToken in the X-CSRF-Token header)",
    body: "SessionRequest", ok: [{ status: 201, schema: "SessionView", description: "signed in; Set-Cookie: buildfleet_session" }], errors: [400, 401, 429],
  },
  { method: "get", path: "/ui/session", summary: "The dashboard session of the cookie", ok: [{ status: 200, schema: "SessionView", description: "the session" }], errors: [401] },
  {
    method: "delete", path: "/ui/session", summary: "Sign out of the dashboard (needs the X-CSRF-Token header)",
    parameters: [{ name: "X-CSRF-Token", in: "header", schema: { type: "string" }, description: "csrfToken of the session" }],
    ok: [{ status: 204, description: "signed out; the cookie is cleared" }], errors: [403],
  },
  // The image catalog and rebuild waves (issue 13); answers without a schema are described in the README.
  {
    method: "put", path: "/v1/images/{name}", summary: "Create or replace an Image (checked against the whole catalog)", scope: "submit", body: "Image", parameters: [imageName],
    ok: [{ status: 201, description: "created" }, { status: 200, description: "configured or unchanged" }], errors: [400, 401, 403, 409, 422, 429],
  },
  { method: "get", path: "/v1/images", summary: "The tenant's Images (admin: every tenant's)", scope: "read", parameters: [{ name: "label", in: "query", schema: { type: "array", items: { type: "string" } }, description: "key=value, repeatable" }], ok: [{ status: 200, schema: "ImageList", description: "the Images" }], errors: [400, 401, 403, 429] },
  { method: "get", path: "/v1/images/{name}", summary: "An Image with its bases, parents, dependents and last build", scope: "read", parameters: [imageName], ok: [{ status: 200, schema: "ImageView", description: "the Image" }], errors: [400, 401, 403, 404, 429] },
  { method: "delete", path: "/v1/images/{name}", summary: "Delete an Image", scope: "submit", parameters: [imageName], ok: [{ status: 200, description: "deleted" }], errors: [400, 401, 403, 404, 429] },
  { method: "get", path: "/v1/images/graph", summary: "The FROM graph (nodes and edges, or Graphviz DOT)", scope: "read", parameters: [{ name: "format", in: "query", schema: { type: "string", enum: ["json", "dot"] }, description: "json (default) or dot" }], ok: [{ status: 200, schema: "ImageGraph", description: "the graph (format=json; text/vnd.graphviz for dot)" }], errors: [400, 401, 403, 429] },
  { method: "get", path: "/v1/images/graph/dependents", summary: "Every catalog image below a base", scope: "read", parameters: [{ name: "base", in: "query", schema: { type: "string" }, description: "an Image name or an image reference" }], ok: [{ status: 200, description: "the dependents" }], errors: [400, 401, 403, 429] },
  { method: "post", path: "/v1/rebuilds", summary: "Plan (dryRun) or start a rebuild wave", scope: "submit", body: "StartRebuild", ok: [{ status: 200, schema: "RebuildDryRun", description: "the plan of a dry run" }, { status: 201, schema: "Wave", description: "the wave" }], errors: [400, 401, 403, 404, 409, 429] },
  { method: "get", path: "/v1/rebuilds", summary: "Rebuild waves, newest first", scope: "read", ok: [{ status: 200, schema: "WaveList", description: "the waves" }], errors: [400, 401, 403, 429] },
  { method: "get", path: "/v1/rebuilds/{id}", summary: "A rebuild wave with every node", scope: "read", parameters: [waveId], ok: [{ status: 200, schema: "Wave", description: "the wave" }], errors: [401, 403, 404, 429] },
  { method: "post", path: "/v1/rebuilds/{id}/cancel", summary: "Cancel a wave", scope: "cancel", parameters: [waveId], ok: [{ status: 202, schema: "Wave", description: "the wave after the request" }], errors: [401, 403, 404, 429] },
  { method: "post", path: "/v1/rebuilds/{id}/retry", summary: "Build a finished wave's failed, skipped and cancelled nodes again", scope: "submit", parameters: [waveId], ok: [{ status: 202, schema: "Wave", description: "the wave" }], errors: [401, 403, 404, 409, 429] },
  // Schedules (issue 14): the list and one schedule with its history (status.runs, newest first).
  { method: "get", path: "/v1/schedules", summary: "The tenant's Schedules, each with its last run", scope: "read", ok: [{ status: 200, schema: "ScheduleList", description: "the Schedules" }], errors: [401, 403, 429] },
  {
    method: "get", path: "/v1/schedules/{name}", summary: "A Schedule with its next firing and recent runs", scope: "read",
    parameters: [{ name: "name", in: "path", schema: { type: "string" }, description: "Schedule name (DNS-1123 label)" }],
    ok: [{ status: 200, schema: "ScheduleView", description: "the Schedule" }], errors: [400, 401, 403, 404, 429],
  },
  { method: "get", path: "/healthz", summary: "Liveness", ok: [{ status: 200, description: "alive" }], errors: [] },
  { method: "get", path: "/readyz", summary: "Readiness (Redis reachable)", ok: [{ status: 200, description: "ready" }], errors: [503] },
  { method: "get", path: "/metrics", summary: "Prometheus metrics", ok: [{ status: 200, contentType: "text/plain", description: "metrics" }], errors: [] },
  ...FLEET_OPERATIONS,
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
