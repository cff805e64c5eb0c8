import type { z } from "zod";
import type { Operation } from "../ops/openapi.js";
import { BulkAnswerView, BulkBody } from "./bulk.js";
import { DrainAnswer, DrainBody } from "./queue-drain.js";
import { WorkerItem, WorkerList } from "./workers.js";

/** The fleet routes in the OpenAPI document (ops/openapi.ts merges them). */
export const FLEET_SCHEMAS: Record<string, { schema: z.ZodType; io: "input" | "output" }> = {
  DrainRequest: { schema: DrainBody, io: "input" },
  DrainAnswer: { schema: DrainAnswer, io: "output" },
  WorkerList: { schema: WorkerList, io: "output" },
  Worker: { schema: WorkerItem, io: "output" },
  BulkRequest: { schema: BulkBody, io: "input" },
  BulkAnswer: { schema: BulkAnswerView, io: "output" },
};

const workerId = { name: "id", in: "path" as const, schema: { type: "string" }, description: "worker id" };
const buildId = { name: "id", in: "path" as const, schema: { type: "string" }, description: "build id" };

export const FLEET_OPERATIONS: Operation[] = [
  {
    method: "post", path: "/v1/queue/drain", summary: "Drain: pause intake, let running builds finish, optionally cancel the queued ones", scope: "admin",
    body: "DrainRequest", ok: [{ status: 200, schema: "DrainAnswer", description: "the drain and the queue" }], errors: [400, 401, 403, 429],
  },
  { method: "get", path: "/v1/workers", summary: "The fleet's workers as they last reported", scope: "admin", ok: [{ status: 200, schema: "WorkerList", description: "workers" }], errors: [401, 403, 429] },
  {
    method: "post", path: "/v1/workers/{id}/quiet", summary: "Quiet a worker: no new builds, in-flight ones finish", scope: "admin", parameters: [workerId],
    ok: [{ status: 200, schema: "Worker", description: "quiet requested" }], errors: [401, 403, 404, 429],
  },
  {
    method: "post", path: "/v1/workers/{id}/resume", summary: "Let a quiet worker take builds again", scope: "admin", parameters: [workerId],
    ok: [{ status: 200, schema: "Worker", description: "resume requested" }], errors: [401, 403, 404, 429],
  },
  {
    method: "post", path: "/v1/bulk/cancel", summary: "Cancel the builds a selector matches (dry run, bound)", scope: "cancel", body: "BulkRequest",
    ok: [{ status: 200, schema: "BulkAnswer", description: "what matched and what was done" }], errors: [400, 401, 403, 429],
  },
  {
    method: "post", path: "/v1/bulk/retry", summary: "Retry the finished builds a selector matches (once each)", scope: "submit", body: "BulkRequest",
    ok: [{ status: 200, schema: "BulkAnswer", description: "what matched and what was done" }], errors: [400, 401, 403, 429],
  },
  {
    method: "post", path: "/v1/builds/{id}/retry", summary: "Submit a finished build's request again (retryOf)", scope: "submit", parameters: [buildId],
    ok: [{ status: 202, schema: "BuildSummary", description: "the retry" }, { status: 200, schema: "BuildSummary", description: "the existing retry" }], errors: [401, 403, 404, 409, 429],
  },
];
