// The JSON REST path of createK8sApi against small local API servers (http and https on
// 127.0.0.1): what goes on the wire, connection reuse, TLS and credentials from the
// kubeconfig, deadlines and error mapping. kubesim covers behaviour (client.int.test.ts).
import type { ServerResponse } from "node:http";
import type https from "node:https";
import type { Socket } from "node:net";
import { KubeConfig, type V1Job } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { createK8sApi, type K8sApi, type K8sApiOptions } from "./client.js";
import { closeFakeApis, fakeApi, fixture, rejection, type FakeApiHandler as Handler } from "../test-support/k8s.js";

const CA = fixture("ca.crt");
const SERVER_TLS = { cert: fixture("server.crt"), key: fixture("server.key") };
const CLIENT_TLS = { cert: fixture("client.crt"), key: fixture("client.key") };
const b64 = (s: string): string => Buffer.from(s).toString("base64");

const apis: K8sApi[] = [];

afterEach(async () => {
  for (const api of apis.splice(0)) api.close?.();
  await closeFakeApis();
});

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function status(code: number, reason: string, message: string): object {
  return { kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message };
}

const job = (name: string): V1Job => ({ apiVersion: "batch/v1", kind: "Job", metadata: { name, namespace: "ns", uid: `uid-${name}` } });

/** Answers like the API server for Jobs, after `delayMs`: POST echoes the Job sent, GET a Job named by the path. */
function jobServer(delayMs = 0): Handler {
  return (_req, res, seen) => {
    const name =
      seen.method === "POST"
        ? ((JSON.parse(seen.body) as V1Job).metadata?.name ?? "")
        : decodeURIComponent(new URL(seen.url, "http://x").pathname.split("/").pop() ?? "");
    setTimeout(() => json(res, seen.method === "POST" ? 201 : 200, job(name)), delayMs);
  };
}

interface KubeconfigInput {
  server: string;
  skipTLSVerify?: boolean;
  ca?: string;
  tlsServerName?: string;
  token?: string;
  clientCert?: { cert: string; key: string };
  basic?: { username: string; password: string };
}

/** A kubeconfig as kubectl writes it (JSON is YAML), with inline *-data fields. */
function kubeconfigYaml(k: KubeconfigInput): string {
  const cluster: Record<string, unknown> = { server: k.server };
  if (k.skipTLSVerify) cluster["insecure-skip-tls-verify"] = true;
  if (k.ca) cluster["certificate-authority-data"] = b64(k.ca);
  if (k.tlsServerName) cluster["tls-server-name"] = k.tlsServerName;
  const user: Record<string, unknown> = {};
  if (k.token) user["token"] = k.token;
  if (k.clientCert) {
    user["client-certificate-data"] = b64(k.clientCert.cert);
    user["client-key-data"] = b64(k.clientCert.key);
  }
  if (k.basic) Object.assign(user, k.basic);
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "test", cluster }],
    users: [{ name: "test", user }],
    contexts: [{ name: "test", context: { cluster: "test", user: "test" } }],
    "current-context": "test",
  });
}

function kubeConfigOf(k: KubeconfigInput): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml(k));
  return kc;
}

function apiFor(kc: KubeConfig, opts: Partial<K8sApiOptions> = {}): K8sApi {
  const api = createK8sApi(kc, { namespace: "ns", requestTimeoutMs: 2_000, ...opts });
  apis.push(api);
  return api;
}

describe("request/response calls over http", () => {
  it("sends plain JSON with the right verb, path, query and content type, under the server's base path", async () => {
    const pages = [
      { items: [job("a")], metadata: { resourceVersion: "7", continue: "tok+en=/1" } },
      { items: [job("b")], metadata: { resourceVersion: "8" } },
    ];
    const server = await fakeApi((_req, res, seen) => {
      if (seen.method === "GET" && seen.url.includes("/pods?")) return json(res, 200, { kind: "PodList", ...pages.shift() });
      if (seen.method === "DELETE") return json(res, 200, status(200, "", ""));
      return json(res, 200, { kind: "ConfigMap", metadata: { name: "cm" } });
    }, undefined, "/some/prefix");
    const api = apiFor(kubeConfigOf({ server: server.url, skipTLSVerify: true, token: "kubesim" }), { listPageSize: 1 });

    await api.createConfigMap({ metadata: { name: "cm" }, data: { Dockerfile: "FROM busybox" } });
    await api.patchConfigMapOwner("cm", { apiVersion: "batch/v1", kind: "Job", name: "b-x", uid: "u1" });
    await api.deleteJob("b-x/../y");
    const list = await api.listPods("app in (a,b),tier!=db");

    expect(list).toEqual({ items: [job("a"), job("b")], resourceVersion: "8" });
    const [create, patch, del, page1, page2] = server.seen;
    expect(create).toMatchObject({ method: "POST", url: "/some/prefix/api/v1/namespaces/ns/configmaps" });
    expect(create?.headers).toMatchObject({ accept: "application/json", "content-type": "application/json" });
    expect(JSON.parse(create?.body ?? "")).toEqual({ metadata: { name: "cm" }, data: { Dockerfile: "FROM busybox" } });
    expect(patch).toMatchObject({ method: "PATCH", url: "/some/prefix/api/v1/namespaces/ns/configmaps/cm" });
    expect(patch?.headers["content-type"]).toBe("application/merge-patch+json");
    expect(JSON.parse(patch?.body ?? "")).toEqual({ metadata: { ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "b-x", uid: "u1" }] } });
    const delUrl = new URL(del?.url ?? "", "http://x");
    expect(delUrl.pathname).toBe("/some/prefix/apis/batch/v1/namespaces/ns/jobs/b-x%2F..%2Fy");
    expect(delUrl.searchParams.get("propagationPolicy")).toBe("Background");
    expect(JSON.parse(del?.body ?? "")).toEqual({ kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" });
    const q1 = new URL(page1?.url ?? "", "http://x").searchParams;
    expect([q1.get("labelSelector"), q1.get("limit"), q1.get("continue")]).toEqual(["app in (a,b),tier!=db", "1", null]);
    expect(new URL(page2?.url ?? "", "http://x").searchParams.get("continue")).toBe("tok+en=/1");
    expect(server.seen.every((s) => s.headers.authorization === "Bearer kubesim" && s.headers.accept === "application/json")).toBe(true);
  });

  it("returns plain JSON objects: times stay RFC 3339 strings", async () => {
    const created = { ...job("b-t"), metadata: { name: "b-t", creationTimestamp: "2026-01-01T10:00:00Z" } };
    const server = await fakeApi((_req, res) => json(res, 200, created));
    const read = await apiFor(kubeConfigOf({ server: server.url, skipTLSVerify: true })).readJob("b-t");
    expect(read.metadata?.creationTimestamp).toBe("2026-01-01T10:00:00Z");
  });

  it("reuses one connection for sequential calls, error answers included", async () => {
    const server = await fakeApi((_req, res, seen) => (seen.url.endsWith("/missing") ? json(res, 404, status(404, "NotFound", "not found")) : jobServer()(_req, res, seen)));
    const api = apiFor(kubeConfigOf({ server: server.url, skipTLSVerify: true }));
    for (let i = 0; i < 20; i++) {
      await api.readJob(`b-${i}`);
      expect(await rejection(api.readJob("missing"))).toMatchObject({ code: "NOT_FOUND" });
    }
    expect(server.seen).toHaveLength(40);
    expect(server.connections()).toBe(1);
  });

  it("opens at most maxSockets connections for many concurrent calls", async () => {
    const server = await fakeApi(jobServer(20));
    const api = apiFor(kubeConfigOf({ server: server.url, skipTLSVerify: true }), { maxSockets: 4 });
    const created = await Promise.all(Array.from({ length: 40 }, (_, i) => api.createJob(job(`b-${i}`))));
    expect(created.map((j) => j.metadata?.name)).toEqual(Array.from({ length: 40 }, (_, i) => `b-${i}`));
    expect(server.connections()).toBeGreaterThan(0);
    expect(server.connections()).toBeLessThanOrEqual(4);
  });

  it("sends a call again on a fresh connection when the server closed the kept-alive one", async () => {
    const perSocket = new WeakMap<Socket, number>();
    const server = await fakeApi((req, res, seen) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      // The second request on a connection meets a server that is closing it.
      if (n === 2) req.socket.destroy();
      else jobServer()(req, res, seen);
    });
    const api = apiFor(kubeConfigOf({ server: server.url, skipTLSVerify: true }));
    await api.readJob("b-1");
    expect((await api.readJob("b-2")).metadata?.name).toBe("b-2");
    expect(server.connections()).toBe(2);
  });

  it("fails at the deadline as a retryable UNAVAILABLE and closes the socket", async () => {
    const server = await fakeApi(() => undefined); // never answers
    const api = apiFor(kubeConfigOf({ server: server.url, skipTLSVerify: true }), { requestTimeoutMs: 150 });
    const started = Date.now();
    const err = await rejection(api.readJob("b-slow"));
    expect(err).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect(err.message).toContain("no answer within 150 ms");
    expect(Date.now() - started).toBeLessThan(2_000);
    await server.closedConnections(1);
  });

  it("maps 429 with Retry-After, a 422 Status and a 2xx that is not JSON", async () => {
    const answers: ((res: ServerResponse) => void)[] = [
      (res) => json(res, 429, status(429, "TooManyRequests", "slow down"), { "Retry-After": "4" }),
      (res) => json(res, 422, status(422, "Invalid", 'Job.batch "b-x" is invalid: metadata.name: must be no more than 63 characters')),
      (res) => {
        res.writeHead(200, { "Content-Type": "text/html" });
        res.end("<html>login page</html>");
      },
    ];
    const server = await fakeApi((_req, res) => answers.shift()?.(res));
    const api = apiFor(kubeConfigOf({ server: server.url, skipTLSVerify: true }));
    expect(await rejection(api.listJobs("a=b"))).toMatchObject({ code: "RATE_LIMITED", status: 429, retryAfterSeconds: 4, retryable: true });
    const invalid = await rejection(api.createJob(job("b-x")));
    expect(invalid).toMatchObject({ code: "INVALID", status: 422, reason: "Invalid", retryable: false });
    expect(invalid.message).toBe('create Job b-x: INVALID (422): Job.batch "b-x" is invalid: metadata.name: must be no more than 63 characters');
    const html = await rejection(api.readJob("b-x"));
    expect(html).toMatchObject({ code: "UNAVAILABLE", status: 200, retryable: true });
    expect(html.message).toBe("read Job b-x: the API server answered 200 with a body that is not a JSON object");
  });

  it("keeps response headers and raw bodies out of error messages", async () => {
    const server = await fakeApi((_req, res) => {
      res.writeHead(502, { "Content-Type": "text/html", "X-Session": "s3cr3t-session" });
      res.end(`<html>s3cr3t ${"x".repeat(100_000)}</html>`);
    });
    const err = await rejection(apiFor(kubeConfigOf({ server: server.url, skipTLSVerify: true })).readJob("b-x"));
    expect(err).toMatchObject({ code: "UNAVAILABLE", status: 502 });
    expect(err.message).toBe("read Job b-x: UNAVAILABLE (502): HTTP 502");
    expect(JSON.stringify(err)).not.toContain("s3cr3t");
  });

  it("turns a refused connection into UNAVAILABLE", async () => {
    const server = await fakeApi(jobServer());
    await server.close();
    const err = await rejection(apiFor(kubeConfigOf({ server: server.url, skipTLSVerify: true })).readJob("b-x"));
    expect(err).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect(err.message).toBe("read Job b-x: network error ECONNREFUSED");
  });

  it("refuses an http:// server unless the kubeconfig skips TLS verification, as client-node does", async () => {
    const server = await fakeApi(jobServer());
    const err = await rejection(apiFor(kubeConfigOf({ server: server.url })).readJob("b-x"));
    expect(err).toMatchObject({ code: "UNAVAILABLE" });
    expect(err.message).toContain("needs insecure-skip-tls-verify");
    expect(server.connections()).toBe(0);
  });

  it("sends basic auth from the kubeconfig", async () => {
    const server = await fakeApi(jobServer());
    await apiFor(kubeConfigOf({ server: server.url, skipTLSVerify: true, basic: { username: "admin", password: "pw" } })).readJob("b-x");
    expect(server.seen[0]?.headers.authorization).toBe(`Basic ${b64("admin:pw")}`);
  });

  it("closes its connections on close(), and later calls fail as UNAVAILABLE", async () => {
    const server = await fakeApi(jobServer());
    const api = apiFor(kubeConfigOf({ server: server.url, skipTLSVerify: true }));
    await api.readJob("b-x");
    api.close?.();
    await server.closedConnections(1);
    expect(await rejection(api.readJob("b-x"))).toMatchObject({ code: "UNAVAILABLE" });
    expect(server.connections()).toBe(1);
  });
});

describe("request/response calls over https", () => {
  const mtls: https.ServerOptions = { ...SERVER_TLS, ca: CA, requestCert: true, rejectUnauthorized: true };

  it("authenticates with the kubeconfig's client certificate, verifies the server by its CA, and reuses one TLS connection", async () => {
    const server = await fakeApi(jobServer(), mtls);
    const api = apiFor(kubeConfigOf({ server: server.url, ca: CA, clientCert: CLIENT_TLS }));
    await api.readJob("b-1");
    await api.createJob(job("b-2"));
    expect(server.seen.map((s) => s.clientCN)).toEqual(["buildfleet-worker-test", "buildfleet-worker-test"]);
    expect(server.connections()).toBe(1);
  });

  it("sends the kubeconfig's bearer token, and a rotated token on the same connection", async () => {
    const server = await fakeApi(jobServer(), { ...SERVER_TLS });
    const kc = kubeConfigOf({ server: server.url, ca: CA, token: "t0ken-1" });
    const api = apiFor(kc);
    await api.readJob("b-1");
    kc.loadFromString(kubeconfigYaml({ server: server.url, ca: CA, token: "t0ken-2" }));
    await api.readJob("b-2");
    expect(server.seen.map((s) => s.headers.authorization)).toEqual(["Bearer t0ken-1", "Bearer t0ken-2"]);
    expect(server.connections()).toBe(1);
  });

  it("opens a new connection when the TLS material changes, and closes the old one", async () => {
    const server = await fakeApi(jobServer(), { ...mtls, rejectUnauthorized: false });
    const kc = kubeConfigOf({ server: server.url, ca: CA, clientCert: CLIENT_TLS });
    const api = apiFor(kc);
    await api.readJob("b-1");
    kc.loadFromString(kubeconfigYaml({ server: server.url, ca: CA, token: "t" }));
    await api.readJob("b-2");
    expect(server.seen.map((s) => s.clientCN)).toEqual(["buildfleet-worker-test", ""]);
    expect(server.connections()).toBe(2);
    await server.closedConnections(1);
  });

  it("still verifies the server certificate when the kubeconfig has no CA", async () => {
    const server = await fakeApi(jobServer(), { ...SERVER_TLS });
    const err = await rejection(apiFor(kubeConfigOf({ server: server.url, token: "t" })).readJob("b-x"));
    expect(err).toMatchObject({ code: "UNAVAILABLE" });
    expect(err.message).toMatch(/^read Job b-x: TLS error /);
    expect(server.seen).toHaveLength(0);
  });

  it("skips verification only when the kubeconfig says so", async () => {
    const server = await fakeApi(jobServer(), { ...SERVER_TLS });
    const read = await apiFor(kubeConfigOf({ server: server.url, skipTLSVerify: true, token: "t" })).readJob("b-x");
    expect(read.metadata?.name).toBe("b-x");
  });

  it("sends tls-server-name as SNI and checks the certificate against it", async () => {
    const server = await fakeApi(jobServer(), { ...SERVER_TLS });
    const api = apiFor(kubeConfigOf({ server: server.url, ca: CA, tlsServerName: "kubernetes.default.svc", token: "t" }));
    await api.readJob("b-x");
    expect(server.seen[0]?.servername).toBe("kubernetes.default.svc");
    const wrong = apiFor(kubeConfigOf({ server: server.url, ca: CA, tlsServerName: "other.example", token: "t" }));
    expect((await rejection(wrong.readJob("b-x"))).message).toBe("read Job b-x: TLS error ERR_TLS_CERT_ALTNAME_INVALID");
  });
});
