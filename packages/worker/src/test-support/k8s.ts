// Helpers shared by the Kubernetes adapter's tests.
import { EventEmitter, once } from "node:events";
import { readFileSync } from "node:fs";
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { K8sError } from "../k8s/errors.js";

/** The K8sError a call failed with (anything else, or success, fails the test). */
export async function rejection(p: Promise<unknown>): Promise<K8sError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof K8sError) return err;
    throw err;
  }
  throw new Error("expected a K8sError");
}

/** A committed test-only certificate or key from src/k8s/__fixtures__. */
export const fixture = (name: string): string => readFileSync(new URL(`../k8s/__fixtures__/${name}`, import.meta.url), "utf8");

/** One request a fake API server received. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** TLS only: the client certificate's CN ("" when none was sent), and the SNI name. */
  clientCN?: string;
  servername?: string | false | null;
}

export type FakeApiHandler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

export interface FakeApi {
  url: string;
  server: http.Server | https.Server;
  /** Stops listening now (later connections are refused). */
  close(): Promise<void>;
  seen: Seen[];
  /** TCP connections accepted so far. */
  connections(): number;
  /** Resolves once `n` connections have closed (bounded). */
  closedConnections(n: number): Promise<void>;
}

const fakeServers: (http.Server | https.Server)[] = [];

/**
 * A small API server on 127.0.0.1 (http, or https with `tls`): records each request (its body
 * read whole before `handler` runs) and counts connections. Close them with closeFakeApis().
 */
export async function fakeApi(handler: FakeApiHandler, tls?: https.ServerOptions, basePath = ""): Promise<FakeApi> {
  const seen: Seen[] = [];
  let accepted = 0;
  let closed = 0;
  const events = new EventEmitter();
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // A client that hung up mid-write is what several tests are about.
    res.on("error", () => undefined);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const s: Seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      if (tls) {
        const socket = req.socket as TLSSocket;
        const peer = socket.getPeerCertificate();
        s.clientCN = typeof peer.subject?.CN === "string" ? peer.subject.CN : "";
        s.servername = socket.servername;
      }
      seen.push(s);
      handler(req, res, s);
    });
  };
  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest);
  // Longer than any test: idle connections close because the client closes them, not the server.
  server.keepAliveTimeout = 60_000;
  server.on("connection", (socket: Socket) => {
    accepted++;
    socket.setNoDelay(true);
    socket.once("close", () => {
      closed++;
      events.emit("closed");
    });
  });
  fakeServers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}${basePath}`,
    server,
    close: () => new Promise((r) => server.close(() => r())),
    seen,
    connections: () => accepted,
    closedConnections: async (n) => {
      const timeout = AbortSignal.timeout(5_000);
      while (closed < n) await once(events, "closed", { signal: timeout });
    },
  };
}

/** Another server a test starts (a proxy, say), closed by closeFakeApis() too. */
export function closeAfterTest(server: http.Server | https.Server): void {
  fakeServers.push(server);
}

/** For afterEach: closes every fake API server and its connections. */
export async function closeFakeApis(): Promise<void> {
  await Promise.all(
    fakeServers.splice(0).map(async (s) => {
      s.closeAllConnections();
      if (s.listening) await new Promise((r) => s.close(r));
    }),
  );
}
