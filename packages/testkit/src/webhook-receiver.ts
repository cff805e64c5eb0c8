import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { HTTP, type CloudEventV1 } from "cloudevents";
import { Webhook } from "standardwebhooks";

/**
 * A real webhook receiver for tests: it verifies every request's Standard Webhooks
 * signature with the `standardwebhooks` package and parses the body with the
 * `cloudevents` SDK, the way a team's endpoint would. `respond` picks the answer
 * to the n-th request (1-based): a status, or "hang" to never answer.
 */

export interface Received {
  webhookId: string;
  verified: boolean;
  event: CloudEventV1<unknown> | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Respond = (n: number) => number | "hang";

export interface WebhookReceiver {
  url: string;
  received: Received[];
  /** Requests that verified and parsed. */
  accepted(): Received[];
  setRespond(respond: Respond): void;
  setSecret(secret: string): void;
  /** Resolves once `n` requests have arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: { secret: string; respond?: Respond }): Promise<WebhookReceiver> {
  let secret = options.secret;
  let respond: Respond = options.respond ?? (() => 200);
  const received: Received[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let verified = false;
      let event: CloudEventV1<unknown> | undefined;
      try {
        new Webhook(secret).verify(body, req.headers as Record<string, string>);
        verified = true;
        const parsed = HTTP.toEvent({ headers: req.headers, body });
        event = Array.isArray(parsed) ? parsed[0] : parsed;
      } catch {
        verified = false;
      }
      received.push({ webhookId: String(req.headers["webhook-id"]), verified, event, headers: req.headers, body });
      for (const w of waiters.filter((x) => received.length >= x.n)) w.resolve();
      const answer = respond(received.length);
      if (answer === "hang") return;
      res.statusCode = verified ? answer : 401;
      res.end(verified ? "ok" : "bad signature");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/buildfleet`,
    received,
    accepted: () => received.filter((r) => r.verified && r.event !== undefined),
    setRespond: (r) => {
      respond = r;
    },
    setSecret: (s) => {
      secret = s;
    },
    waitFor: (n, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        if (received.length >= n) {
          resolve();
          return;
        }
        const timer = setTimeout(() => reject(new Error(`receiver got ${received.length} requests, expected ${n}, within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
