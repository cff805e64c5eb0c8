import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { REQUEST, TOKENS, startHarness, type ApiHarness } from "../test-support/harness.js";
import { openStream, type StreamClient } from "../test-support/stream-client.js";

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function streamConnections(h: ApiHarness): Promise<number> {
  const list = await h.redis.client("LIST");
  return String(list)
    .split("\n")
    .filter((line) => line.includes(` name=${h.streamConnectionName} `)).length;
}

async function openConnected(url: string, token: string): Promise<StreamClient> {
  const client = await openStream(url, auth(token));
  expect(client.status).toBe(200);
  await client.waitFor(() => client.comments().includes("connected"));
  return client;
}

describe("GET /v1/events: one Redis reader per process, bounded streams", () => {
  const redis = useRedis();

  it("serves many streams from one Redis connection, each with its own resume point", async () => {
    const h = await startHarness(redis, { timing: { eventsBlockMs: 200 } });
    const first = await h.submit();
    const [queued] = await h.redis.xrange(h.ks.events, "-", "+");
    const base = await h.listen();

    const clients: StreamClient[] = [];
    for (let i = 0; i < 8; i++) clients.push(await openConnected(`${base}/v1/events${i % 2 === 0 ? "?since=0-0" : ""}`, TOKENS.teamA));
    expect(await streamConnections(h)).toBe(1);

    const second = await h.submit();
    for (const [i, c] of clients.entries()) {
      // Resuming from 0-0 gets the earlier build's event first; the others only the new one.
      const expected = i % 2 === 0 ? [first.id, second.id] : [second.id];
      await c.waitFor(() => c.events().length >= expected.length);
      expect(c.events().map((e) => (JSON.parse(e.data) as { subject: string }).subject)).toEqual(expected);
    }
    expect(clients[0]?.events()[0]?.id).toBe(queued?.[0]);
    await Promise.all(clients.map((c) => c.close()));
  });

  it("answers 429 past the per-token cap, naming the limit, while other tokens still connect", async () => {
    const h = await startHarness(redis, { env: { API_SSE_MAX_STREAMS_PER_TOKEN: "3", API_SSE_MAX_STREAMS: "5" }, timing: { eventsBlockMs: 200 } });
    const base = await h.listen();
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await openConnected(`${base}/v1/events`, TOKENS.teamA));

    const over = await h.inject(TOKENS.teamA, { method: "GET", url: "/v1/events" });
    expect(over.statusCode).toBe(429);
    expect(over.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: "RATE_LIMITED" });
    expect(over.json<{ error: { message: string } }>().error.message).toMatch(/3 event streams.*API_SSE_MAX_STREAMS_PER_TOKEN/);
    expect(over.headers["retry-after"]).toBeDefined();

    const others = [await openConnected(`${base}/v1/events`, TOKENS.teamB), await openConnected(`${base}/v1/events`, TOKENS.readOnly)];
    const full = await h.inject(TOKENS.admin, { method: "GET", url: "/v1/events" });
    expect(full.statusCode).toBe(429);
    expect(full.json<{ error: { message: string } }>().error.message).toMatch(/API_SSE_MAX_STREAMS\b/);

    // A closed stream frees its place.
    await mine[0]?.close();
    await expect.poll(async () => (await openStream(`${base}/v1/events`, auth(TOKENS.teamA))).status, { timeout: 5_000 }).toBe(200);
    await Promise.all([...mine, ...others].map((c) => c.close()));
  });

  it("ends a stream that would catch up more than its bound; the client resumes where it stopped", async () => {
    const h = await startHarness(redis, { timing: { eventsBlockMs: 200 }, events: { catchUpMax: 3 } });
    for (let i = 0; i < 5; i++) await h.submit({ ...REQUEST, labels: { n: String(i) } });
    const base = await h.listen();
    const first = await openStream(`${base}/v1/events?since=0-0`, auth(TOKENS.teamA));
    await first.ended();
    const got = first.events();
    expect(got.length).toBeGreaterThanOrEqual(3);
    expect(got.length).toBeLessThan(5);
    const rest = await openStream(`${base}/v1/events`, { ...auth(TOKENS.teamA), "last-event-id": got.at(-1)?.id ?? "" });
    await rest.waitFor(() => got.length + rest.events().length >= 5);
    const all = [...got, ...rest.events()].map((e) => e.id);
    expect(all).toEqual((await h.redis.xrange(h.ks.events, "-", "+")).map(([id]) => id));
    await rest.close();
  });
});
