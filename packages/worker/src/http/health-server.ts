import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface HealthChecks {
  /** Liveness: the process and its event loop work. */
  live(): boolean;
  /** Readiness: named checks; any false → 503 with the failing names. */
  ready(): Promise<Record<string, boolean>>;
  /** Prometheus exposition for `/metrics` (absent: 404). */
  metrics?(): Promise<{ contentType: string; text: string }>;
  /** Shown in /readyz's body (e.g. "quiet": ready, but taking no new builds). */
  state?(): string;
}

/**
 * `/healthz` and `/readyz` for the kubelet's probes, `/metrics` for Prometheus.
 * Plain node:http: three routes do not justify a framework in the worker.
 */
export class HealthServer {
  private server: Server | undefined;

  constructor(private readonly checks: HealthChecks) {}

  async listen(port: number, host: string): Promise<number> {
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(JSON.stringify(body));
      };
      if (req.method !== "GET" && req.method !== "HEAD") return send(405, { error: "method not allowed" });
      if (path === "/healthz") return send(this.checks.live() ? 200 : 503, { status: this.checks.live() ? "ok" : "failing" });
      if (path === "/readyz") {
        this.checks.ready().then(
          (results) => {
            const failing = Object.entries(results).filter(([, ok]) => !ok).map(([name]) => name);
            const state = this.checks.state?.();
            send(failing.length === 0 ? 200 : 503, {
              status: failing.length === 0 ? "ready" : "not ready",
              ...(state !== undefined ? { state } : {}),
              checks: results,
            });
          },
          () => send(503, { status: "not ready" }),
        );
        return;
      }
      const metrics = this.checks.metrics?.bind(this.checks);
      if (path === "/metrics" && metrics) {
        metrics().then(
          ({ contentType, text }) => {
            res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
            res.end(req.method === "HEAD" ? undefined : text);
          },
          () => send(500, { error: "metrics unavailable" }),
        );
        return;
      }
      send(404, { error: "not found" });
    });
    server.keepAliveTimeout = 5_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
