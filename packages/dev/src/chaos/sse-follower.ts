import { request, type ClientRequest } from "node:http";

/**
 * An SSE client of GET /v1/events as an application would write one: it
 * follows the stream, and whenever the stream ends or cannot be opened
 * (Redis down: 503; API restarting) it reconnects after a short pause with
 * Last-Event-ID set to the last id it received. What it received, in order,
 * is the scenario's observation.
 */
export interface SseFollower {
  /** Stream ids of the events received, in arrival order (duplicates kept). */
  readonly received: readonly { id: string; buildId: string }[];
  /** Connections opened (the first one and every reconnect that answered 200). */
  readonly connections: number;
  /** Drops the current connection as a network blip would; the follower reconnects on its own. */
  interrupt(): void;
  stop(): void;
}

const RECONNECT_MS = 250;

/** Splits complete SSE blocks off `buffer`; returns the events and the incomplete rest. */
export function parseSseBlocks(buffer: string): { events: { id: string; data: string }[]; rest: string } {
  const blocks = buffer.split("\n\n");
  const rest = blocks.pop() ?? "";
  const events: { id: string; data: string }[] = [];
  for (const block of blocks) {
    let id = "";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("id: ")) id = line.slice(4);
      else if (line.startsWith("data: ")) data.push(line.slice(6));
    }
    if (id !== "") events.push({ id, data: data.join("\n") });
  }
  return { events, rest };
}

export function followEvents(baseUrl: string, token: string, since = "0-0"): SseFollower {
  const received: { id: string; buildId: string }[] = [];
  let lastId = since;
  let connections = 0;
  let stopped = false;
  let current: ClientRequest | undefined;
  let timer: NodeJS.Timeout | undefined;

  const reconnect = (): void => {
    current = undefined;
    if (!stopped) timer = setTimeout(connect, RECONNECT_MS);
  };
  const connect = (): void => {
    if (stopped) return;
    const req = request(`${baseUrl}/v1/events`, { headers: { authorization: `Bearer ${token}`, "last-event-id": lastId, accept: "text/event-stream" } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        res.on("end", reconnect);
        res.on("error", () => undefined);
        return;
      }
      connections++;
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        const parsed = parseSseBlocks(buffer + chunk);
        buffer = parsed.rest;
        for (const e of parsed.events) {
          const event = JSON.parse(e.data) as { subject?: string };
          received.push({ id: e.id, buildId: event.subject ?? "" });
          lastId = e.id;
        }
      });
      res.on("error", () => undefined);
      res.on("close", reconnect);
    });
    req.on("error", () => {
      if (current === req) reconnect();
    });
    current = req;
    req.end();
  };
  connect();
  return {
    received,
    get connections() {
      return connections;
    },
    interrupt() {
      current?.destroy();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      current?.destroy();
    },
  };
}
