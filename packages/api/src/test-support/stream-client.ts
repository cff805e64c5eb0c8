import { request as httpRequest, type IncomingMessage } from "node:http";

/**
 * A minimal streaming HTTP client for tests of SSE and followed logs: it
 * collects what arrives and lets a test wait (bounded) for a condition on it.
 */

export interface SseEvent {
  id: string;
  event: string;
  data: string;
}

export interface StreamClient {
  status: number;
  headers: IncomingMessage["headers"];
  /** Everything received so far. */
  text(): string;
  /** Complete SSE events received so far. */
  events(): SseEvent[];
  /** SSE comment lines (without ': '). */
  comments(): string[];
  /** Resolves when `predicate` holds; rejects after `timeoutMs` with what was received. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves when the server ends the response. */
  ended(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function openStream(url: string, headers: Record<string, string> = {}): Promise<StreamClient> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let received = "";
      let done = false;
      const listeners = new Set<() => void>();
      const notify = (): void => {
        for (const l of [...listeners]) l();
      };
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        received += chunk;
        notify();
      });
      res.on("end", () => {
        done = true;
        notify();
      });
      res.on("close", () => {
        done = true;
        notify();
      });
      const blocks = (): string[] => received.split("\n\n").slice(0, -1);
      const client: StreamClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: () => received,
        events: () =>
          blocks()
            .map((b) => b.split("\n").filter((l) => !l.startsWith(":")))
            .filter((lines) => lines.length > 0)
            .map((lines) => {
              const field = (name: string): string =>
                lines
                  .filter((l) => l.startsWith(`${name}: `))
                  .map((l) => l.slice(name.length + 2))
                  .join("\n");
              return { id: field("id"), event: field("event"), data: field("data") };
            }),
        comments: () => received.split("\n").filter((l) => l.startsWith(": ")).map((l) => l.slice(2)),
        waitFor(predicate, timeoutMs = 10_000) {
          if (predicate()) return Promise.resolve();
          return new Promise((ok, fail) => {
            const check = (): void => {
              if (predicate()) finish();
              else if (done) finish(new Error(`stream ended before the condition held; received:\n${received}`));
            };
            const timer = setTimeout(() => finish(new Error(`condition not met within ${timeoutMs} ms; received:\n${received}`)), timeoutMs);
            const finish = (err?: Error): void => {
              clearTimeout(timer);
              listeners.delete(check);
              if (err) fail(err);
              else ok();
            };
            listeners.add(check);
          });
        },
        ended(timeoutMs = 10_000) {
          return client.waitFor(() => done, timeoutMs);
        },
        async close() {
          req.destroy();
          res.destroy();
          await client.waitFor(() => done, 5_000).catch(() => undefined);
        },
      };
      resolve(client);
    });
    req.on("error", reject);
    req.end();
  });
}
