// Watches (watch.ts over rest.ts's streams) through createK8sApi: against small local servers
// for what is on the wire and how a stream is cut into events, against kubesim for behaviour.
import { once } from "node:events";
import http, { type IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { startKubeSim, type KubeSim } from "@buildfleet/kubesim";
import { KubeConfig, type V1Job } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { MANAGED_SELECTOR } from "../kaniko/labels.js";
import { renderBuildJob } from "../kaniko/render-job.js";
import { createK8sApi, type K8sApi, type K8sApiOptions, type WatchHandle } from "./client.js";
import type { K8sError } from "./errors.js";
import { closeAfterTest, closeFakeApis, fakeApi, fixture, rejection } from "../test-support/k8s.js";


const apis: K8sApi[] = [];
const handles: WatchHandle[] = [];
let sim: KubeSim | undefined;

afterEach(async () => {
  for (const h of handles.splice(0)) h.abort();
  for (const api of apis.splice(0)) api.close?.();
  await closeFakeApis();
  await sim?.close();
  sim = undefined;
});

function kubeConfigOf(cluster: Record<string, unknown>, user: Record<string, unknown> = { token: "t0ken" }): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster }],
      users: [{ name: "u", user }],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
      "current-context": "x",
    }),
  );
  return kc;
}

const insecure = (server: string, extra: Record<string, unknown> = {}): KubeConfig => kubeConfigOf({ server, "insecure-skip-tls-verify": true, ...extra });

function apiFor(kc: KubeConfig, opts: Partial<K8sApiOptions> = {}): K8sApi {
  const api = createK8sApi(kc, { namespace: "ns", requestTimeoutMs: 2_000, ...opts });
  apis.push(api);
  return api;
}

/** What a watch did, in order: events as "TYPE name", bookmarks as "BOOKMARK rv", its end. */
interface Recorder {
  log: string[];
  ended: Promise<K8sError | undefined>;
  callbacks: {
    onEvent: (type: string, o: V1Job) => void;
    onBookmark: (rv: string) => void;
    onEnd: (err: K8sError | undefined) => void;
  };
}

function recorder(): Recorder {
  const log: string[] = [];
  let resolve: (e: K8sError | undefined) => void = () => undefined;
  const ended = new Promise<K8sError | undefined>((r) => (resolve = r));
  return {
    log,
    ended,
    callbacks: {
      onEvent: (type, o) => log.push(`${type} ${o.metadata?.name ?? ""}`),
      onBookmark: (rv) => log.push(`BOOKMARK ${rv}`),
      onEnd: (err) => {
        log.push(err === undefined ? "END" : `END ${err.code}`);
        resolve(err);
      },
    },
  };
}

async function watch(api: K8sApi, rec: Recorder, resourceVersion = "5"): Promise<WatchHandle> {
  const handle = await api.watchJobs({ labelSelector: "app=x", resourceVersion, timeoutSeconds: 30 }, rec.callbacks);
  handles.push(handle);
  return handle;
}

const line = (type: string, name: string): string => `${JSON.stringify({ type, object: { kind: "Job", metadata: { name, resourceVersion: "9" } } })}\n`;
const bookmark = (rv: string): string => `${JSON.stringify({ type: "BOOKMARK", object: { kind: "Job", metadata: { resourceVersion: rv } } })}\n`;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("watches on a local server", () => {
  it("asks for a JSON watch with bookmarks from the resourceVersion, under the server's base path", async () => {
    const server = await fakeApi((_req, res) => res.end());
    const rec = recorder();
    await watch(apiFor(insecure(`${server.url}/some/prefix`)), rec);
    await rec.ended;
    const [req] = server.seen;
    const url = new URL(req?.url ?? "", "http://x");
    expect(url.pathname).toBe("/some/prefix/apis/batch/v1/namespaces/ns/jobs");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      watch: "true",
      labelSelector: "app=x",
      resourceVersion: "5",
      allowWatchBookmarks: "true",
      timeoutSeconds: "30",
    });
    expect(req?.headers).toMatchObject({ accept: "application/json", authorization: "Bearer t0ken" });
  });

  it("parses events sent byte by byte, a multi-byte UTF-8 character split across writes included", async () => {
    const stream = Buffer.from(line("ADDED", "café-✓-😀") + bookmark("10") + line("MODIFIED", "café-✓-😀") + line("DELETED", "b"));
    const server = await fakeApi((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      void (async () => {
        for (const byte of stream) {
          res.write(Buffer.from([byte]));
          await tick();
        }
        res.end();
      })();
    });
    const rec = recorder();
    await watch(apiFor(insecure(server.url)), rec);
    expect(await rec.ended).toBeUndefined();
    expect(rec.log).toEqual(["ADDED café-✓-😀", "BOOKMARK 10", "MODIFIED café-✓-😀", "DELETED b", "END"]);
  });

  it("takes \\r\\n endings, skips empty lines, and skips (and counts) a line that is not JSON", async () => {
    const server = await fakeApi((_req, res) => {
      res.writeHead(200);
      res.end(`${line("ADDED", "a").trim()}\r\n\r\nnot json {\r\n${line("MODIFIED", "a").trim()}\r\n${line("DELETED", "a").trim()}`);
    });
    const rec = recorder();
    const handle = await watch(apiFor(insecure(server.url)), rec);
    await rec.ended;
    expect(rec.log).toEqual(["ADDED a", "MODIFIED a", "DELETED a", "END"]);
    expect(handle.skippedLines).toBe(1);
  });

  it("ends with the error of an ERROR event's Status, delivers nothing after it, and closes the stream", async () => {
    const status = { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 5 (120)" };
    const server = await fakeApi((_req, res) => {
      res.writeHead(200);
      res.write(line("ADDED", "a") + JSON.stringify({ type: "ERROR", object: status }) + "\n" + line("ADDED", "b"));
    });
    const rec = recorder();
    await watch(apiFor(insecure(server.url)), rec);
    expect(await rec.ended).toMatchObject({ code: "GONE", status: 410, reason: "Expired" });
    await server.closedConnections(1);
    expect(rec.log).toEqual(["ADDED a", "END GONE"]);
  });

  it("ends with UNAVAILABLE when one event grows past 16 MiB, and closes the connection", async () => {
    const server = await fakeApi((_req, res) => {
      res.writeHead(200);
      res.write(line("ADDED", "a"));
      const mib = Buffer.alloc(1024 * 1024, "x");
      let sent = 0;
      const more = (): void => {
        while (sent < 20 && !res.destroyed) {
          sent++;
          if (!res.write(mib)) return void res.once("drain", more);
        }
      };
      more();
    });
    const rec = recorder();
    await watch(apiFor(insecure(server.url)), rec);
    const err = await rec.ended;
    expect(err).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect(err?.message).toContain("watch event too large");
    expect(rec.log).toEqual(["ADDED a", "END UNAVAILABLE"]);
    await server.closedConnections(1);
  });

  it("reports an error answer through onEnd, with its Status and Retry-After, before the start resolves", async () => {
    const answers: [number, Record<string, string>, object][] = [
      [429, { "Retry-After": "4" }, { kind: "Status", code: 429, reason: "TooManyRequests", message: "slow down" }],
      [403, {}, { kind: "Status", code: 403, reason: "Forbidden", message: 'jobs.batch is forbidden: User "x" cannot watch' }],
      [410, {}, { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" }],
    ];
    const server = await fakeApi((_req, res) => {
      const [code, headers, body] = answers.shift() ?? [500, {}, {}];
      res.writeHead(code, { "Content-Type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    });
    const api = apiFor(insecure(server.url));
    const results: (K8sError | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      const rec = recorder();
      await watch(api, rec);
      rec.log.push("resolved");
      expect(rec.log).toEqual([expect.stringMatching(/^END /), "resolved"]);
      results.push(await rec.ended);
    }
    expect(results[0]).toMatchObject({ code: "RATE_LIMITED", status: 429, retryAfterSeconds: 4, retryable: true });
    expect(results[1]).toMatchObject({ code: "FORBIDDEN", status: 403, reason: "Forbidden", retryable: false });
    expect(results[1]?.message).toBe('watch Jobs: FORBIDDEN (403): jobs.batch is forbidden: User "x" cannot watch');
    expect(results[2]).toMatchObject({ code: "GONE", status: 410 });
  });

  it("reports a refused connection through onEnd as UNAVAILABLE", async () => {
    const server = await fakeApi(() => undefined);
    await server.close();
    const rec = recorder();
    await watch(apiFor(insecure(server.url)), rec);
    expect(await rec.ended).toMatchObject({ code: "UNAVAILABLE", message: "watch Jobs: network error ECONNREFUSED" });
  });

  it("ends with UNAVAILABLE when the connection drops mid-stream", async () => {
    const server = await fakeApi((req, res) => {
      res.writeHead(200);
      res.write(line("ADDED", "a"));
      setTimeout(() => req.socket.destroy(), 20);
    });
    const rec = recorder();
    await watch(apiFor(insecure(server.url)), rec);
    expect(await rec.ended).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect(rec.log).toEqual(["ADDED a", "END UNAVAILABLE"]);
  });

  it("rejects with UNAVAILABLE at the deadline when the headers never come, closes the socket, and never calls onEnd", async () => {
    const server = await fakeApi(() => undefined);
    const rec = recorder();
    const started = Date.now();
    const err = await rejection(watch(apiFor(insecure(server.url), { requestTimeoutMs: 150 }), rec));
    expect(err).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect(err.message).toBe("watch Jobs: no answer within 150 ms");
    expect(Date.now() - started).toBeLessThan(1_500);
    await server.closedConnections(1);
    expect(rec.log).toEqual([]);
  });

  it("refuses a watch after close(), without asking the server", async () => {
    const server = await fakeApi((_req, res) => res.end());
    const api = apiFor(insecure(server.url));
    api.close?.();
    const rec = recorder();
    expect(await rejection(watch(api, rec))).toMatchObject({ code: "UNAVAILABLE", message: "watch Jobs: the Kubernetes client is closed" });
    expect(server.connections()).toBe(0);
    expect(rec.log).toEqual([]);
  });

  it("has no idle timeout once open: a quiet stream outlives the request deadline", async () => {
    const server = await fakeApi((_req, res) => {
      res.writeHead(200);
      res.flushHeaders();
      setTimeout(() => res.end(line("ADDED", "late")), 400);
    });
    const rec = recorder();
    await watch(apiFor(insecure(server.url), { requestTimeoutMs: 100 }), rec);
    expect(await rec.ended).toBeUndefined();
    expect(rec.log).toEqual(["ADDED late", "END"]);
  });

  it("abort(): no callback after it, onEnd included, and the connection is closed", async () => {
    const server = await fakeApi((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write(line("MODIFIED", "a")), 5);
      res.on("close", () => clearInterval(timer));
    });
    const rec = recorder();
    const held: { handle?: WatchHandle } = {};
    const firstEvent = new Promise<void>((resolve) => {
      const record = rec.callbacks.onEvent;
      rec.callbacks.onEvent = (type, o) => {
        record(type, o);
        // Aborting from inside a callback stops the rest of the chunk too.
        held.handle?.abort();
        resolve();
      };
    });
    held.handle = await watch(apiFor(insecure(server.url)), rec);
    await firstEvent;
    await server.closedConnections(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(rec.log).toEqual(["MODIFIED a"]);
  });

  it("does not take a slot of the request pool: with maxSockets 1, a createJob completes while two watches are open", async () => {
    const server = await fakeApi((req, res) => {
      if (req.method === "GET") {
        res.writeHead(200);
        res.flushHeaders();
        return;
      }
      res.writeHead(201, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ kind: "Job", metadata: { name: "b-1" } }));
    });
    const api = apiFor(insecure(server.url), { maxSockets: 1, requestTimeoutMs: 1_000 });
    handles.push(await api.watchJobs({ labelSelector: "a=b", resourceVersion: "1" }, recorder().callbacks));
    handles.push(await api.watchPods({ labelSelector: "a=b", resourceVersion: "1" }, recorder().callbacks as never));
    const created = await api.createJob({ metadata: { name: "b-1" } });
    expect(created.metadata?.name).toBe("b-1");
    expect(server.connections()).toBe(3);
  });

  it("watches over https with the kubeconfig's CA and client certificate", async () => {
    const server = await fakeApi(
      (_req, res) => {
        res.writeHead(200);
        res.end(line("ADDED", "a"));
      },
      { cert: fixture("server.crt"), key: fixture("server.key"), ca: fixture("ca.crt"), requestCert: true, rejectUnauthorized: true },
    );
    const b64 = (s: string): string => Buffer.from(s).toString("base64");
    const kc = kubeConfigOf(
      { server: server.url, "certificate-authority-data": b64(fixture("ca.crt")) },
      { "client-certificate-data": b64(fixture("client.crt")), "client-key-data": b64(fixture("client.key")) },
    );
    const rec = recorder();
    await watch(apiFor(kc), rec);
    expect(await rec.ended).toBeUndefined();
    expect(rec.log).toEqual(["ADDED a", "END"]);
    expect(server.seen[0]?.clientCN).toBe("buildfleet-worker-test");
  });

  it("goes through the kubeconfig's proxy-url", async () => {
    // The API server is only reachable through a CONNECT tunnel of the proxy (client-node's agent).
    const apiServer = await fakeApi((_req, res) => {
      res.writeHead(200);
      res.end(line("ADDED", "via-proxy"));
    });
    const api = apiServer.server;
    const tunnels: string[] = [];
    const proxy = http.createServer((_req, res) => res.writeHead(405).end());
    proxy.on("connect", (req: IncomingMessage, socket: Socket) => {
      tunnels.push(req.url ?? "");
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      api.emit("connection", socket);
    });
    closeAfterTest(proxy);
    proxy.listen(0, "127.0.0.1");
    await once(proxy, "listening");
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const rec = recorder();
    await watch(apiFor(insecure("http://api.invalid:6443", { "proxy-url": proxyUrl })), rec);
    expect(await rec.ended).toBeUndefined();
    expect(rec.log).toEqual(["ADDED via-proxy", "END"]);
    expect(tunnels).toEqual(["api.invalid:6443"]);
    expect(apiServer.seen[0]?.url).toMatch(/^\/apis\/batch\/v1\/namespaces\/ns\/jobs\?watch=true&/);
  });
});

describe("watches on kubesim", () => {
  const NAMESPACE = "buildfleet";
  let seq = 0;
  const newJob = (): V1Job =>
    renderBuildJob(
      {
        buildId: `01jd3k8q9v7x2m4n6p8r0w${String(seq++).padStart(4, "0")}`,
        tenant: "acme",
        request: { context: { type: "tarball", url: "s3://b/app.tar.gz" }, destinations: ["registry.example.com/team/app:v1"] },
      },
      { namespace: NAMESPACE, executorImage: `ghcr.io/osscontainertools/kaniko@sha256:${"2".repeat(64)}`, ttlSecondsAfterFinished: 3600, defaultResources: {} },
    ).job;

  async function start(): Promise<{ sim: KubeSim; api: K8sApi }> {
    const s = await startKubeSim({ defaultRunMs: 100, bookmarkIntervalMs: 50 });
    sim = s;
    return { sim: s, api: apiFor(s.kubeConfig, { namespace: NAMESPACE }) };
  }

  async function until(probe: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!probe()) {
      if (Date.now() > deadline) throw new Error("condition not met in time");
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  const watchOn = async (api: K8sApi, rec: Recorder, resourceVersion: string): Promise<WatchHandle> => {
    const handle = await api.watchJobs({ labelSelector: MANAGED_SELECTOR, resourceVersion }, rec.callbacks);
    handles.push(handle);
    return handle;
  };

  it("delivers a Job's events in order with their types, then a DELETED", async () => {
    const { api } = await start();
    const rec = recorder();
    await watchOn(api, rec, (await api.listJobs(MANAGED_SELECTOR)).resourceVersion);
    const job = newJob();
    const name = job.metadata?.name ?? "";
    await api.createJob(job);
    await until(() => rec.log.some((l) => l === `MODIFIED ${name}`));
    await api.deleteJob(name);
    await until(() => rec.log.includes(`DELETED ${name}`));
    const events = rec.log.filter((l) => !l.startsWith("BOOKMARK"));
    expect(events[0]).toBe(`ADDED ${name}`);
    expect(events.at(-1)).toBe(`DELETED ${name}`);
    expect(events.slice(1, -1).every((l) => l === `MODIFIED ${name}`)).toBe(true);
  });

  it("sends bookmarks with the server's resourceVersion", async () => {
    const { sim: s, api } = await start();
    const rec = recorder();
    await watchOn(api, rec, (await api.listJobs(MANAGED_SELECTOR)).resourceVersion);
    await until(() => rec.log.some((l) => l.startsWith("BOOKMARK")));
    const rv = Number(rec.log.find((l) => l.startsWith("BOOKMARK"))?.split(" ")[1]);
    expect(rv).toBeGreaterThan(0);
    expect(rv).toBeLessThanOrEqual(s.control.store.currentResourceVersion());
  });

  it("resumes from a resourceVersion: only what came after it is replayed", async () => {
    const { api } = await start();
    const first = newJob();
    await api.createJob(first);
    const rv = (await api.listJobs(MANAGED_SELECTOR)).resourceVersion;
    const second = newJob();
    await api.createJob(second);
    const seen: { type: string; name: string; rv: number }[] = [];
    handles.push(
      await api.watchJobs(
        { labelSelector: MANAGED_SELECTOR, resourceVersion: rv },
        {
          onEvent: (type, o) => seen.push({ type, name: o.metadata?.name ?? "", rv: Number(o.metadata?.resourceVersion) }),
          onBookmark: () => undefined,
          onEnd: () => undefined,
        },
      ),
    );
    await until(() => seen.some((e) => e.name === second.metadata?.name));
    // From 0 (or without a resourceVersion) the first Job would come as a synthetic ADDED.
    expect(seen.filter((e) => e.name === first.metadata?.name && e.type === "ADDED")).toEqual([]);
    expect(seen.every((e) => e.rv > Number(rv))).toBe(true);
  });

  it("ends with GONE when kubesim expires the watch", async () => {
    const { sim: s, api } = await start();
    s.control.expireNextWatches(1);
    const rec = recorder();
    await watchOn(api, rec, "1");
    expect(await rec.ended).toMatchObject({ code: "GONE", status: 410, reason: "Expired", retryable: true });
  });

  it("ends normally (onEnd(undefined)) when kubesim drops its watches", async () => {
    const { sim: s, api } = await start();
    const rec = recorder();
    await watchOn(api, rec, (await api.listJobs(MANAGED_SELECTOR)).resourceVersion);
    await until(() => s.control.openWatches() === 1);
    expect(s.control.dropWatches()).toBe(1);
    expect(await rec.ended).toBeUndefined();
  });

  it("abort() closes the watch on the server and nothing is delivered after it", async () => {
    const { sim: s, api } = await start();
    const rec = recorder();
    const handle = await watchOn(api, rec, (await api.listJobs(MANAGED_SELECTOR)).resourceVersion);
    await until(() => s.control.openWatches() === 1);
    handle.abort();
    await until(() => s.control.openWatches() === 0);
    const before = rec.log.length;
    await api.createJob(newJob());
    await new Promise((r) => setTimeout(r, 200));
    expect(rec.log.slice(before)).toEqual([]);
  });
});
