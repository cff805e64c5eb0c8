import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { createAgentPool, tlsMaterialOf, type AgentLease, type AgentPool } from "./agent-pool.js";
import { K8sError, k8sErrorFromResponse, toK8sError } from "./errors.js";

/**
 * Part of the Kubernetes adapter: plain JSON request/response calls to the API server.
 *
 * Why not client-node's generated APIs: their ObjectSerializer (typed classes, times → Date)
 * was a top item of the worker's CPU profile in dispatch bursts, and they build a new agent
 * (so a new TCP and TLS connection) for every call. Here: JSON.stringify / JSON.parse, one
 * keep-alive agent (see agent-pool.ts), and the kubeconfig's CURRENT credentials on every
 * call via `KubeConfig.applyToHTTPSOptions` (tokens from exec/OIDC/file providers rotate).
 * `stream` opens long-lived GETs (watches, see watch.ts) with the same credentials and TLS
 * logic on agents of their own. Log streams stay on client-node (client.ts).
 */

export interface RestOptions {
  /** Deadline of a whole call: credentials, queueing for a connection, the answer's last byte. */
  requestTimeoutMs: number;
  maxSockets: number;
  /** Told how each call (or stream start) went, for metrics; must not throw. */
  observe?: (call: RestCallSample) => void;
}

/** One finished call or stream start: `status` is undefined when no answer arrived (connection, deadline). */
export interface RestCallSample {
  method: RestRequest["method"];
  path: string;
  stream: boolean;
  status: number | undefined;
  seconds: number;
}

export interface RestRequest {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** API path without the server's base path, e.g. `/apis/batch/v1/namespaces/ns/jobs`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Defaults to application/json when there is a body. */
  contentType?: string;
}

/**
 * How a stream's start went, when the server could be asked at all: open (200, headers in
 * hand), or failed (an error answer, its Status read; or the connection failed).
 */
export type StreamStart =
  | {
      ok: true;
      /** The 200 answer, not yet read. */
      response: http.IncomingMessage;
      /** Ends the stream and closes its connection. Idempotent. */
      close: () => void;
    }
  | { ok: false; error: K8sError };

export interface RestClient {
  /** The parsed JSON answer of a 2xx; every failure is a `K8sError`. */
  request<T>(operation: string, req: RestRequest): Promise<T>;
  /**
   * A long-lived GET (a watch) on a connection of its own, outside the request pool (and its
   * maxSockets), with TCP keep-alive probes. Only opening it has the deadline: headers must
   * arrive within `requestTimeoutMs`, after which the stream may last as long as the server
   * keeps it. Rejects (UNAVAILABLE) when the server could not be asked in time or at all: no
   * credentials, client closed, no headers before the deadline (the socket is closed then).
   */
  stream(operation: string, req: Pick<RestRequest, "path" | "query">): Promise<StreamStart>;
  /**
   * Closes the keep-alive connections; later calls and streams fail with UNAVAILABLE.
   * Streams already open are left to their owners. Idempotent.
   */
  close(): void;
}

/** See AgentPoolOptions.idleSocketMs: below common load-balancer idle timeouts (60 s and up). */
const IDLE_SOCKET_MS = 30_000;
/** An error answer is only read for its Status; a proxy's HTML page need not be kept whole. */
const ERROR_BODY_LIMIT = 64 * 1024;
const USER_AGENT = "buildfleet-worker";
/** As client-node's Watch: probes find a dead peer on a watch that is quietly waiting for events. */
const STREAM_KEEPALIVE_MS = 30_000;

interface Server {
  protocol: "http:" | "https:";
  hostname: string;
  port: string;
  basePath: string;
}

interface Target {
  server: Server;
  headers: http.OutgoingHttpHeaders;
  auth: string | undefined;
  lease: AgentLease;
}

const NO_RELEASE = (): void => undefined;

function unavailable(operation: string, what: string): K8sError {
  return new K8sError("UNAVAILABLE", `${operation}: ${what}`, { operation });
}

export function parseServer(server: string): Server | undefined {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  return {
    protocol: url.protocol,
    // URL keeps IPv6 literals in brackets; http.request wants the bare address.
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port,
    basePath: url.pathname.replace(/\/+$/, ""),
  };
}

/** Path and query string; every query value is URL-encoded. */
export function requestPath(server: Server, req: Pick<RestRequest, "path" | "query">): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined && v !== "") query.set(k, String(v));
  const qs = query.toString();
  return `${server.basePath}${req.path}${qs === "" ? "" : `?${qs}`}`;
}

/** Errors of a write to a kept-alive connection the server had just closed: safe to send again. */
function isStaleConnection(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ECONNRESET" || code === "EPIPE";
}

export function createRestClient(kubeConfig: KubeConfig, options: RestOptions): RestClient {
  const pool = createAgentPool({ keepAlive: true, maxSockets: options.maxSockets, idleSocketMs: IDLE_SOCKET_MS });
  const streamPool = createAgentPool({ keepAlive: false });
  let closed = false;
  let parsed: { server: string; value: Server | undefined } | undefined;
  const report = (call: RestCallSample): void => {
    try {
      options.observe?.(call);
    } catch {
      // Metrics must never fail a Kubernetes call.
    }
  };

  async function target(operation: string, agents: AgentPool): Promise<Target> {
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster === null) throw unavailable(operation, "the kubeconfig has no current cluster");
    if (parsed?.server !== cluster.server) parsed = { server: cluster.server, value: parseServer(cluster.server) };
    const server = parsed.value;
    if (server === undefined) throw unavailable(operation, "the kubeconfig's cluster server is not an http(s) URL");
    if (server.protocol === "http:" && !cluster.skipTLSVerify) {
      // client-node's rule, kept: plain http only when the kubeconfig says TLS is not verified.
      throw unavailable(operation, "an http:// API server needs insecure-skip-tls-verify in the kubeconfig");
    }
    const opts: https.RequestOptions = {};
    try {
      await kubeConfig.applyToHTTPSOptions(opts);
    } catch (err) {
      // Exec/OIDC providers fail with their own messages (which may quote credentials): not kept.
      const name = err instanceof Error ? err.name : "error";
      throw unavailable(operation, `could not apply the kubeconfig's credentials (${name})`);
    }
    const headers = { ...opts.headers };
    const auth = typeof opts.auth === "string" ? opts.auth : undefined;
    if (cluster.proxyUrl !== undefined && cluster.proxyUrl !== "") {
      // Proxies stay client-node's business: its per-call proxy agent, no keep-alive.
      if (!(opts.agent instanceof http.Agent)) throw unavailable(operation, "no agent for the kubeconfig's proxy-url");
      return { server, headers, auth, lease: { agent: opts.agent, release: NO_RELEASE } };
    }
    // As client-node does for its API calls, even for a context without a user.
    const material = tlsMaterialOf({
      ...opts,
      ...(cluster.skipTLSVerify ? { rejectUnauthorized: false } : {}),
      ...(cluster.tlsServerName ? { servername: cluster.tlsServerName } : {}),
    });
    return { server, headers, auth, lease: agents.acquire(server.protocol, material) };
  }

  /** One HTTP request to the target, JSON only (never protobuf), not yet ended. */
  function newRequest(t: Target, method: RestRequest["method"], req: Pick<RestRequest, "path" | "query">, extra: http.OutgoingHttpHeaders): http.ClientRequest {
    const requestOptions: https.RequestOptions = {
      protocol: t.server.protocol,
      hostname: t.server.hostname,
      path: requestPath(t.server, req),
      method,
      headers: { ...t.headers, Accept: "application/json", "User-Agent": USER_AGENT, ...extra },
      agent: t.lease.agent,
    };
    if (t.server.port !== "") requestOptions.port = t.server.port;
    if (t.auth !== undefined) requestOptions.auth = t.auth;
    return (t.server.protocol === "https:" ? https : http).request(requestOptions);
  }

  function request<T>(operation: string, req: RestRequest): Promise<T> {
    if (closed) return Promise.reject(unavailable(operation, "the Kubernetes client is closed"));
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let lease: AgentLease | undefined;
      let inFlight: http.ClientRequest | undefined;
      /** The whole answer was read: its connection goes back to the pool, error status or not. */
      let complete = false;
      const startedAt = performance.now();
      let answerStatus: number | undefined;
      const settle = (err: K8sError | undefined, value?: T): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        report({ method: req.method, path: req.path, stream: false, status: answerStatus, seconds: (performance.now() - startedAt) / 1000 });
        if (!complete) inFlight?.destroy();
        lease?.release();
        if (err !== undefined) reject(err);
        else resolve(value as T);
      };
      // One deadline for the whole call. Destroying the request closes its socket (a late
      // answer is not read into a reused connection) and fails it with no one listening.
      const timer = setTimeout(() => settle(unavailable(operation, `no answer within ${options.requestTimeoutMs} ms`)), options.requestTimeoutMs);

      const send = (t: Target, attempt: number): void => {
        const extra: http.OutgoingHttpHeaders = {};
        if (payload !== undefined) {
          extra["Content-Type"] = req.contentType ?? "application/json";
          extra["Content-Length"] = Buffer.byteLength(payload);
        }
        const r = newRequest(t, req.method, req, extra);
        inFlight = r;
        let answered = false;
        r.on("error", (err: unknown) => {
          if (settled) return;
          // A kept-alive connection the server (or a load balancer) closed as we wrote to it: one
          // fresh try, within the same deadline. Safe even if the first one was processed: a
          // create sent twice answers 409 (callers adopt), a delete 404 (callers accept it).
          if (!answered && attempt === 0 && r.reusedSocket && isStaleConnection(err)) send(t, 1);
          else settle(toK8sError(err, operation));
        });
        r.on("response", (res: http.IncomingMessage) => {
          answered = true;
          const status = res.statusCode ?? 0;
          answerStatus = status;
          const ok = status >= 200 && status < 300;
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            if (!ok && size >= ERROR_BODY_LIMIT) return;
            chunks.push(chunk);
            size += chunk.length;
          });
          res.on("error", (err: unknown) => settle(toK8sError(err, operation)));
          res.on("close", () => {
            if (!res.complete) settle(unavailable(operation, "the connection closed before the whole answer arrived"));
          });
          res.on("end", () => {
            complete = true;
            const text = Buffer.concat(chunks).toString("utf8");
            if (!ok) return settle(k8sErrorFromResponse(status, text, res.headers, operation));
            let value: unknown;
            try {
              value = JSON.parse(text) as unknown;
            } catch {
              value = undefined;
            }
            if (typeof value !== "object" || value === null) {
              return settle(new K8sError("UNAVAILABLE", `${operation}: the API server answered ${status} with a body that is not a JSON object`, { status, operation }));
            }
            settle(undefined, value as T);
          });
        });
        r.end(payload);
      };

      target(operation, pool).then(
        (t) => {
          lease = t.lease;
          if (settled) t.lease.release();
          else send(t, 0);
        },
        (err: unknown) => settle(toK8sError(err, operation)),
      );
    });
  }

  function stream(operation: string, req: Pick<RestRequest, "path" | "query">): Promise<StreamStart> {
    if (closed) return Promise.reject(unavailable(operation, "the Kubernetes client is closed"));
    return new Promise<StreamStart>((resolve, reject) => {
      let settled = false;
      let lease: AgentLease | undefined;
      let inFlight: http.ClientRequest | undefined;
      const close = (): void => {
        inFlight?.destroy();
        lease?.release();
      };
      const startedAt = performance.now();
      let answerStatus: number | undefined;
      const settle = (outcome: StreamStart | K8sError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        report({ method: "GET", path: req.path, stream: true, status: answerStatus, seconds: (performance.now() - startedAt) / 1000 });
        if (outcome instanceof K8sError) {
          close();
          reject(outcome);
          return;
        }
        if (!outcome.ok) close();
        resolve(outcome);
      };
      /** Set once an error answer's headers arrived: at the deadline, its status is enough. */
      let errorAnswer: (() => void) | undefined;
      // The deadline covers credentials, connecting and the headers (and an error answer's
      // Status); a 200 stream is then as long-lived as the server makes it.
      const timer = setTimeout(() => {
        if (errorAnswer !== undefined) errorAnswer();
        else settle(unavailable(operation, `no answer within ${options.requestTimeoutMs} ms`));
      }, options.requestTimeoutMs);

      const open = (t: Target): void => {
        const r = newRequest(t, "GET", req, {});
        inFlight = r;
        r.on("socket", (socket) => socket.setKeepAlive(true, STREAM_KEEPALIVE_MS));
        // Also the stream's owner's: a failure after the start reaches it through the response.
        r.on("error", (err: unknown) => settle({ ok: false, error: toK8sError(err, operation) }));
        r.on("response", (res: http.IncomingMessage) => {
          const status = res.statusCode ?? 0;
          answerStatus = status;
          if (status === 200) {
            res.once("close", () => lease?.release());
            return settle({ ok: true, response: res, close });
          }
          // Read for its Status (reason, message, Retry-After): what callers act on.
          const chunks: Buffer[] = [];
          let size = 0;
          const failed = (): void => settle({ ok: false, error: k8sErrorFromResponse(status, Buffer.concat(chunks).toString("utf8"), res.headers, operation) });
          errorAnswer = failed;
          res.on("data", (chunk: Buffer) => {
            if (size >= ERROR_BODY_LIMIT) return;
            chunks.push(chunk);
            size += chunk.length;
          });
          res.on("end", failed);
          res.on("close", failed);
          res.on("error", failed);
        });
        r.end();
      };

      target(operation, streamPool).then(
        (t) => {
          lease = t.lease;
          if (settled) t.lease.release();
          else open(t);
        },
        (err: unknown) => settle(toK8sError(err, operation)),
      );
    });
  }

  return {
    request,
    stream,
    close() {
      closed = true;
      pool.close();
    },
  };
}
