import { connect, type Socket } from "node:net";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { TOKENS, startHarness } from "../test-support/harness.js";

/**
 * Slow clients are cut off: a request whose headers or body trickle in is
 * answered 408 and its connection closed, authenticated or not. Each client
 * below sends for at most BYTES × GAP_MS (10 s) — without the timeouts, the
 * whole body would arrive and be answered.
 */
const BYTES = 50;
const GAP_MS = 200;

interface SlowResult {
  /** Body bytes written before the server closed the connection. */
  sent: number;
  response: string;
  closedByServer: boolean;
}

function slowRequest(port: number, head: string, trickle: "body" | "headers"): Promise<SlowResult> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1");
    let response = "";
    let sent = 0;
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (response += chunk));
    socket.on("error", () => undefined); // EPIPE/ECONNRESET once the server closes: that is the point
    socket.on("close", () => {
      closed = true;
      clearInterval(timer);
      resolve({ sent, response, closedByServer: sent < BYTES });
    });
    socket.on("connect", () => {
      socket.write(trickle === "body" ? head : head.slice(0, 20));
      const rest = trickle === "body" ? "x".repeat(BYTES) : head.slice(20).padEnd(BYTES, " ");
      timer = setInterval(() => {
        if (closed) return;
        if (sent >= BYTES) {
          clearInterval(timer);
          // Everything sent and nothing cut: end our side so the test finishes either way.
          setTimeout(() => socket.end(), 500);
          return;
        }
        socket.write(rest.slice(sent, sent + 1));
        sent += 1;
      }, GAP_MS);
    });
    socket.setTimeout(30_000, () => {
      socket.destroy();
      reject(new Error("no close within 30 s"));
    });
  });
}

const post = (auth: string | undefined) =>
  [
    "POST /v1/builds HTTP/1.1",
    "Host: 127.0.0.1",
    "Content-Type: application/json",
    `Content-Length: ${BYTES}`,
    ...(auth ? [`Authorization: Bearer ${auth}`] : []),
    "",
    "",
  ].join("\r\n");

describe("HTTP timeouts", () => {
  const redis = useRedis();
  const env = { API_REQUEST_TIMEOUT_MS: "1000", API_HEADERS_TIMEOUT_MS: "1000" };

  it("answers 408 and closes the connection of an authenticated POST whose body trickles in", async () => {
    const h = await startHarness(redis, { env });
    const port = Number(new URL(await h.listen()).port);
    const res = await slowRequest(port, post(TOKENS.teamA), "body");
    expect(res.closedByServer).toBe(true);
    expect(res.response).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("closes the connection of an unauthenticated POST whose body trickles in after its 401", async () => {
    const h = await startHarness(redis, { env });
    const port = Number(new URL(await h.listen()).port);
    const res = await slowRequest(port, post(undefined), "body");
    expect(res.closedByServer).toBe(true);
  });

  it("answers 408 to a request whose headers trickle in", async () => {
    const h = await startHarness(redis, { env });
    const port = Number(new URL(await h.listen()).port);
    const res = await slowRequest(port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: `, "headers");
    expect(res.closedByServer).toBe(true);
    expect(res.response).toMatch(/^HTTP\/1\.1 408 /);
  });
});
