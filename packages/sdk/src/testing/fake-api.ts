import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BUILD_STATES, BuildSummary, ErrorBody, ImageList, QueueView, ScheduleList, ScheduleView, TERMINAL_STATES, WorkerList } from "@buildfleet/contract";
import type { BuildEvent, BuildRecord, BuildState } from "../client/types.js";

/**
 * A small in-memory server speaking the HTTP API v1 shape, on 127.0.0.1:0, for
 * the SDK's and the CLI's tests. It is not the API: it checks one bearer
 * token, "validates" only that destinations are present, and its builds move
 * when the test (or `autoRun`) says so.
 */

export type AutoRun = "succeed" | "fail" | "hold";

export interface FakeApiOptions {
  token?: string;
  /** What happens to each submitted build without the test driving it (default "hold"). */
  autoRun?: (request: Record<string, unknown>) => AutoRun;
  /** ETA answered for a queued build: its queue position times this (default: no estimate, null). */
  etaSecondsPerPosition?: number;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}

export interface FakeApi {
  url: string;
  token: string;
  builds: Map<string, BuildRecord>;
  requests: RecordedRequest[];
  paused: boolean;
  /**
   * What GET /v1/workers, /v1/images and /v1/schedules(/:name) answer, set by the test; each answer
   * is parsed with the contract's response schema first, so a shape the client cannot read is a 500.
   */
  workers: unknown[];
  images: unknown[];
  schedules: unknown[];
  /** Moves a build to `state`, publishing the matching event. */
  advance(id: string, state: BuildState, patch?: Partial<BuildRecord>): void;
  appendLog(id: string, line: string): void;
  /** Ends every open SSE and log-follow response (a dropped connection, from the client's side). */
  dropStreams(): number;
  close(): Promise<void>;
}

export const FAKE_DIGEST = `sha256:${"ab".repeat(32)}`;
const TERMINAL: ReadonlySet<BuildState> = new Set(TERMINAL_STATES);

export async function startFakeApi(options: FakeApiOptions = {}): Promise<FakeApi> {
  const token = options.token ?? "test-token";
  const builds = new Map<string, BuildRecord>();
  const history = new Map<string, BuildEvent[]>();
  const logs = new Map<string, string[]>();
  const stream: { id: string; event: BuildEvent }[] = [];
  const sseClients = new Set<{ res: ServerResponse; buildId: string | null }>();
  const logFollowers = new Set<{ res: ServerResponse; id: string }>();
  const requests: RecordedRequest[] = [];
  const idempotency = new Map<string, string>();
  let counter = 0;
  let streamSeq = 0;

  const publish = (record: BuildRecord, type: string, data: Record<string, unknown>): void => {
    record.sequence += 1;
    const event = {
      specversion: "1.0",
      id: `${record.id}-${record.sequence}`,
      source: "/fake-api",
      type,
      subject: record.id,
      time: new Date().toISOString(),
      datacontenttype: "application/json",
      sequence: record.sequence,
      data: { buildId: record.id, ...data },
    } as unknown as BuildEvent;
    history.get(record.id)?.push(event);
    const entry = { id: `${Date.now()}-${++streamSeq}`, event };
    stream.push(entry);
    for (const c of sseClients) if (c.buildId === null || c.buildId === record.id) writeSse(c.res, entry);
  };

  const fake: FakeApi = {
    url: "",
    token,
    builds,
    requests,
    paused: false,
    workers: [],
    images: [],
    schedules: [],
    advance(id, state, patch = {}) {
      const record = builds.get(id);
      if (!record) throw new Error(`no build ${id}`);
      Object.assign(record, patch, { state, updatedAt: new Date().toISOString() });
      const attempt = Math.max(1, record.attempts.length);
      switch (state) {
        case "starting":
          record.jobName = `b-${id.slice(-8)}`;
          publish(record, "build.started", { jobName: record.jobName, attempt });
          break;
        case "running":
          publish(record, "build.running", { jobName: record.jobName ?? "job", attempt });
          break;
        case "retrying":
          publish(record, "build.retrying", { attempt: attempt + 1, previous: { exitCode: 1 } });
          break;
        case "succeeded":
          record.digest ??= FAKE_DIGEST;
          publish(record, "build.succeeded", { digest: record.digest, destinations: ["x"], attempts: attempt });
          break;
        case "failed":
          record.failure ??= { reason: "BackoffLimitExceeded", message: "kaniko exited 1" };
          publish(record, "build.failed", { ...record.failure, attempts: attempt });
          break;
        case "cancelled":
          publish(record, "build.cancelled", {});
          break;
        case "queued":
          break;
      }
      if (TERMINAL.has(state)) {
        for (const f of [...logFollowers]) if (f.id === id) { f.res.end(); logFollowers.delete(f); }
      }
    },
    appendLog(id, line) {
      logs.get(id)?.push(line);
      for (const f of logFollowers) if (f.id === id) f.res.write(`${line}\n`);
    },
    dropStreams() {
      const n = sseClients.size + logFollowers.size;
      for (const c of sseClients) c.res.destroy();
      for (const f of logFollowers) f.res.destroy();
      sseClients.clear();
      logFollowers.clear();
      return n;
    },
    close: async () => {
      fake.dropStreams();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const run = (id: string, how: AutoRun): void => {
    if (how === "hold") return;
    const steps: (() => void)[] = [
      () => fake.advance(id, "starting"),
      () => fake.advance(id, "running"),
      () => fake.appendLog(id, "INFO Retrieving image manifest busybox:latest"),
      () => fake.appendLog(id, "INFO Pushing image"),
      () =>
        how === "succeed"
          ? fake.advance(id, "succeeded")
          : fake.advance(id, "failed", { failure: { reason: "BackoffLimitExceeded", message: "kaniko exited 1: push failed" } }),
    ];
    const next = (): void => {
      const step = steps.shift();
      if (!step || builds.get(id)?.state === "cancelled") return;
      step();
      setTimeout(next, 5).unref();
    };
    setTimeout(next, 5).unref();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw === "" ? undefined : JSON.parse(raw);
    } catch {
      return sendError(res, 400, "VALIDATION_FAILED", "the body is not JSON");
    }
    requests.push({ method: req.method ?? "GET", url: url.pathname + url.search, headers: req.headers, body });
    if (req.headers.authorization !== `Bearer ${token}`) return sendError(res, 401, "UNAUTHORIZED", "a valid bearer token is required");
    const path = url.pathname;
    const method = req.method ?? "GET";
    const m = /^\/v1\/builds\/([^/]+)(\/cancel|\/logs)?$/.exec(path);

    if (method === "POST" && path === "/v1/builds") {
      const request = (body ?? {}) as Record<string, unknown>;
      if (!Array.isArray(request["destinations"]) || request["destinations"].length === 0) {
        return sendError(res, 400, "VALIDATION_FAILED", "invalid request: destinations: at least one destination is required", [
          { path: "destinations", message: "at least one destination is required", example: "registry.example.com/team/app:v1.2.3" },
        ]);
      }
      const key = (req.headers["idempotency-key"] as string | undefined) ?? (request["idempotencyKey"] as string | undefined);
      const existing = key === undefined ? undefined : idempotency.get(key);
      if (existing !== undefined) return send(res, 200, summary(builds, builds.get(existing)!, true, options.etaSecondsPerPosition));
      const id = `01fake${String(++counter).padStart(20, "0")}`;
      const now = new Date().toISOString();
      const labels = (request["labels"] as Record<string, string> | undefined) ?? {};
      const record = { id, tenant: "dev", state: "queued", request, attempts: [], labels, createdAt: now, updatedAt: now, sequence: 0 } as unknown as BuildRecord;
      builds.set(id, record);
      history.set(id, []);
      logs.set(id, []);
      if (key !== undefined) idempotency.set(key, id);
      publish(record, "build.queued", { tenant: "dev", priority: "normal", destinations: request["destinations"] });
      run(id, options.autoRun?.(request) ?? "hold");
      return send(res, 202, summary(builds, record, false, options.etaSecondsPerPosition));
    }
    if (method === "GET" && path === "/v1/builds") {
      const states = url.searchParams.getAll("state");
      const labels = url.searchParams.getAll("label").map((l) => l.split("="));
      let items = [...builds.values()].reverse();
      if (states.length > 0) items = items.filter((b) => states.includes(b.state));
      items = items.filter((b) => labels.every(([k, v]) => b.labels[k ?? ""] === v));
      const start = Number(url.searchParams.get("cursor") ?? "0");
      const limit = Number(url.searchParams.get("limit") ?? "50");
      const page = items.slice(start, start + limit);
      return send(res, 200, { items: page, nextCursor: start + limit < items.length ? String(start + limit) : null });
    }
    if (m) {
      const record = builds.get(decodeURIComponent(m[1] ?? ""));
      if (!record) return sendError(res, 404, "NOT_FOUND", `build ${m[1]} not found`);
      if (method === "GET" && m[2] === undefined) {
        const { queuePosition, etaSeconds } = summary(builds, record, false, options.etaSecondsPerPosition);
        return send(res, 200, { ...record, events: history.get(record.id) ?? [], queuePosition, etaSeconds });
      }
      if ((method === "POST" && m[2] === "/cancel") || (method === "DELETE" && m[2] === undefined)) {
        if (TERMINAL.has(record.state)) return sendError(res, 409, "CONFLICT", `build ${record.id} is already ${record.state}`);
        if (record.state === "queued") fake.advance(record.id, "cancelled", { cancelledBy: "dev" });
        else record.cancelRequestedAt = new Date().toISOString();
        return send(res, 202, record);
      }
      if (method === "GET" && m[2] === "/logs") {
        const tail = url.searchParams.get("tail");
        const lines = logs.get(record.id) ?? [];
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        for (const line of tail === null ? lines : lines.slice(-Number(tail))) res.write(`${line}\n`);
        if (url.searchParams.get("follow") === "true" && !TERMINAL.has(record.state)) {
          const follower = { res, id: record.id };
          logFollowers.add(follower);
          res.on("close", () => logFollowers.delete(follower));
          return;
        }
        res.end();
        return;
      }
    }
    if (method === "GET" && path === "/v1/events") {
      const buildId = url.searchParams.get("buildId");
      const since = (req.headers["last-event-id"] as string | undefined) ?? url.searchParams.get("since") ?? undefined;
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.write(": connected\n\n");
      const client = { res, buildId };
      if (since !== undefined) {
        const from = stream.findIndex((e) => e.id === since);
        for (const entry of stream.slice(from + 1)) if (buildId === null || entry.event.subject === buildId) writeSse(res, entry);
      }
      sseClients.add(client);
      res.on("close", () => sseClients.delete(client));
      return;
    }
    if (method === "GET" && path === "/v1/workers") return send(res, 200, WorkerList.parse({ items: fake.workers }));
    if (method === "GET" && path === "/v1/images") return send(res, 200, ImageList.parse({ items: fake.images }));
    if (method === "GET" && path === "/v1/schedules") return send(res, 200, ScheduleList.parse({ items: fake.schedules }));
    const schedule = /^\/v1\/schedules\/([^/]+)$/.exec(path);
    if (method === "GET" && schedule) {
      const found = fake.schedules.find((x) => (x as { metadata?: { name?: unknown } }).metadata?.name === decodeURIComponent(schedule[1] ?? ""));
      if (found === undefined) return sendError(res, 404, "NOT_FOUND", `schedule ${schedule[1]} not found`);
      return send(res, 200, ScheduleView.parse(found));
    }
    if (path === "/v1/queue" || path === "/v1/queue/pause" || path === "/v1/queue/resume") {
      if (path.endsWith("/pause")) fake.paused = true;
      if (path.endsWith("/resume")) fake.paused = false;
      const waiting = [...builds.values()].filter((b) => b.state === "queued").length;
      const byState = Object.fromEntries(BUILD_STATES.map((st) => [st, [...builds.values()].filter((b) => b.state === st).length]));
      // Parsed with the API's own response schema: a shape the client cannot read fails the SDK's tests.
      return send(
        res,
        200,
        QueueView.parse({
          builds: { windowHours: 24, truncated: false, ...byState },
          counts: { waiting, active: 0, delayed: 0, prioritized: 0, completed: 0, failed: 0 },
          paused: fake.paused,
          pausedSince: null,
          drain: null,
        }),
      );
    }
    sendError(res, 404, "NOT_FOUND", `no route ${method} ${path}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendError(res, 500, "INTERNAL", String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/** Parsed with the API's own response schema: a shape the client cannot read fails the SDK's tests. */
function summary(builds: ReadonlyMap<string, BuildRecord>, record: BuildRecord, idempotent: boolean, etaPerPosition?: number): BuildSummary {
  const self = `/v1/builds/${record.id}`;
  const queued = [...builds.values()].filter((b) => b.state === "queued").map((b) => b.id);
  const position = queued.indexOf(record.id);
  return BuildSummary.parse({
    id: record.id,
    state: record.state,
    queuePosition: position === -1 ? null : position + 1,
    etaSeconds: position === -1 || etaPerPosition === undefined ? null : (position + 1) * etaPerPosition,
    idempotent,
    links: { self, logs: `${self}/logs`, events: `/v1/events?buildId=${record.id}`, cancel: `${self}/cancel` },
  });
}

function writeSse(res: ServerResponse, entry: { id: string; event: BuildEvent }): void {
  res.write(`id: ${entry.id}\nevent: ${entry.event.type}\ndata: ${JSON.stringify(entry.event)}\n\n`);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, code: string, message: string, issues?: unknown[]): void {
  send(res, status, ErrorBody.parse({ error: { code, message, ...(issues ? { issues } : {}) } }));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
