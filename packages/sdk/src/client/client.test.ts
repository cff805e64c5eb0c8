import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeApi, FAKE_DIGEST, type FakeApi } from "../testing/fake-api.js";
import { BuildfleetClient } from "./client.js";
import { ApiError, BuildCancelledError, BuildFailedError, ConnectionError, TimeoutError } from "./errors.js";
import type { StreamedEvent } from "./types.js";

const REQUEST = {
  context: { type: "inline", files: {} },
  dockerfile: { inline: "FROM busybox:latest" },
  destinations: ["registry.internal:5000/mirror/busybox:1.36"],
  labels: { team: "payments" },
};

let fake: FakeApi;
let client: BuildfleetClient;

beforeEach(async () => {
  fake = await startFakeApi();
  client = new BuildfleetClient({ baseUrl: fake.url, token: fake.token, timeoutMs: 5_000 });
});
afterEach(async () => {
  await fake.close();
});

/** Takes `n` events from an iterator, then stops it. */
async function take(it: AsyncGenerator<StreamedEvent>, n: number): Promise<StreamedEvent[]> {
  const out: StreamedEvent[] = [];
  for await (const e of it) {
    out.push(e);
    if (out.length === n) break;
  }
  return out;
}

describe("submit, get, list, cancel", () => {
  it("submits a build and reads it back with its events", async () => {
    const summary = await client.submit(REQUEST);
    expect(summary).toMatchObject({ state: "queued", idempotent: false, links: { self: `/v1/builds/${summary.id}` } });
    const view = await client.get(summary.id);
    expect(view.state).toBe("queued");
    expect(view.events.map((e) => e.type)).toEqual(["build.queued"]);
  });

  it("sends the idempotency key as a header and gets the same build back", async () => {
    const a = await client.submit(REQUEST, { idempotencyKey: "release-1" });
    const b = await client.submit(REQUEST, { idempotencyKey: "release-1" });
    expect(b).toMatchObject({ id: a.id, idempotent: true });
    expect(fake.requests.at(-1)?.headers["idempotency-key"]).toBe("release-1");
  });

  it("turns a 400 into an ApiError carrying the field issues", async () => {
    const err = await client.submit({ context: { type: "inline", files: {} } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: "VALIDATION_FAILED", issues: [{ path: "destinations" }] });
    expect((err as ApiError).describe()).toContain("destinations: at least one destination is required");
  });

  it("reports a bad token as 401 UNAUTHORIZED", async () => {
    const bad = new BuildfleetClient({ baseUrl: fake.url, token: "wrong" });
    await expect(bad.get("x")).rejects.toMatchObject({ name: "ApiError", status: 401, code: "UNAUTHORIZED" });
  });

  it("reports an unreachable API as a ConnectionError", async () => {
    const url = fake.url;
    await fake.close();
    fake = await startFakeApi();
    const gone = new BuildfleetClient({ baseUrl: url, token: "t", timeoutMs: 2_000 });
    await expect(gone.get("x")).rejects.toBeInstanceOf(ConnectionError);
  });

  it("lists with state and label filters and follows the cursor", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await client.submit(REQUEST)).id);
    await client.submit({ ...REQUEST, labels: { team: "other" } });
    fake.advance(ids[0]!, "running");
    const page1 = await client.list({ state: ["queued"], label: { team: "payments" }, limit: 1 });
    expect(page1.items.map((b) => b.id)).toEqual([ids[2]]);
    const page2 = await client.list({ state: "queued", label: "team=payments", limit: 1, cursor: page1.nextCursor! });
    expect(page2.items.map((b) => b.id)).toEqual([ids[1]]);
    expect(page2.nextCursor).toBeNull();
    expect(fake.requests.at(-1)?.url).toContain("state=queued&label=team%3Dpayments&limit=1&cursor=");
  });

  it("cancels a queued build, and a finished one is a 409 CONFLICT", async () => {
    const { id } = await client.submit(REQUEST);
    expect((await client.cancel(id)).state).toBe("cancelled");
    await expect(client.cancel(id)).rejects.toMatchObject({ status: 409, code: "CONFLICT" });
  });

  it("reads, pauses and resumes the queue", async () => {
    await client.submit(REQUEST);
    expect(await client.queue()).toMatchObject({ counts: { waiting: 1 }, paused: false });
    expect((await client.pauseQueue()).paused).toBe(true);
    expect((await client.resumeQueue()).paused).toBe(false);
  });
});

describe("logs", () => {
  it("returns the last lines with tail", async () => {
    const { id } = await client.submit(REQUEST);
    for (const l of ["one", "two", "three"]) fake.appendLog(id, l);
    const lines: string[] = [];
    for await (const line of client.logs(id, { tail: 2 })) lines.push(line);
    expect(lines).toEqual(["two", "three"]);
  });

  it("follows new lines until the build is finished", async () => {
    const { id } = await client.submit(REQUEST);
    fake.appendLog(id, "first");
    const lines: string[] = [];
    for await (const line of client.logs(id, { follow: true })) {
      lines.push(line);
      if (line === "first") fake.appendLog(id, "second");
      if (line === "second") fake.advance(id, "succeeded");
    }
    expect(lines).toEqual(["first", "second"]);
  });
});

describe("events", () => {
  it("streams one build's events", async () => {
    const { id } = await client.submit(REQUEST);
    const other = await client.submit(REQUEST);
    const it = client.events({ buildId: id, follow: true });
    const first = it.next();
    // The stream starts with new events: wait until it is connected before moving the builds.
    await waitFor(() => fake.requests.some((r) => r.url.startsWith("/v1/events")));
    fake.advance(other.id, "starting");
    fake.advance(id, "starting");
    const e = (await first).value as StreamedEvent;
    expect(e).toMatchObject({ type: "build.started", event: { subject: id } });
    await it.return(undefined);
  });

  it("resumes after a dropped connection with Last-Event-ID and loses nothing", async () => {
    const { id } = await client.submit(REQUEST);
    const it = client.events({ buildId: id, follow: true, retryDelayMs: 10 });
    const firstP = it.next();
    await waitFor(() => fake.requests.some((r) => r.url.startsWith("/v1/events")));
    fake.advance(id, "starting");
    const first = (await firstP).value as StreamedEvent;
    expect(fake.dropStreams()).toBeGreaterThan(0);
    // Published while the client is disconnected: must arrive through the resume.
    fake.advance(id, "running");
    fake.advance(id, "succeeded");
    const rest = await take(it, 2);
    expect(rest.map((e) => e.type)).toEqual(["build.running", "build.succeeded"]);
    const reconnect = fake.requests.filter((r) => r.url.startsWith("/v1/events")).at(-1);
    expect(reconnect?.headers["last-event-id"]).toBe(first.id);
  });

  it("gives up with a ConnectionError after bounded retries when the API is gone", async () => {
    const it = client.events({ maxRetries: 2, retryDelayMs: 5 });
    await fake.close();
    fake = await startFakeApi();
    await expect(it.next()).rejects.toBeInstanceOf(ConnectionError);
  });

  it("does not retry a 401", async () => {
    const bad = new BuildfleetClient({ baseUrl: fake.url, token: "wrong" });
    await expect(bad.events().next()).rejects.toMatchObject({ status: 401 });
    expect(fake.requests.filter((r) => r.url.startsWith("/v1/events"))).toHaveLength(1);
  });
});

describe("waitFor", () => {
  it("resolves with the succeeded build and reports state changes", async () => {
    const auto = await startFakeApi({ autoRun: () => "succeed" });
    try {
      const c = new BuildfleetClient({ baseUrl: auto.url, token: auto.token });
      const { id } = await c.submit(REQUEST);
      const states: string[] = [];
      const build = await c.waitFor(id, { timeout: 10_000, onState: (b) => states.push(b.state) });
      expect(build).toMatchObject({ state: "succeeded", digest: FAKE_DIGEST });
      expect(states.at(-1)).toBe("succeeded");
    } finally {
      await auto.close();
    }
  });

  it("throws BuildFailedError with the failure reason", async () => {
    const { id } = await client.submit(REQUEST);
    const wait = client.waitFor(id, { timeout: 10_000 });
    fake.advance(id, "failed", { failure: { reason: "OOMKilled", message: "the build ran out of memory" } });
    const err = await wait.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildFailedError);
    expect(err).toMatchObject({ reason: "OOMKilled", build: { id, state: "failed" } });
  });

  it("throws BuildCancelledError for a cancelled build", async () => {
    const { id } = await client.submit(REQUEST);
    await client.cancel(id);
    await expect(client.waitFor(id, { timeout: 10_000 })).rejects.toBeInstanceOf(BuildCancelledError);
  });

  it("polls without opening an event stream when followEvents is false", async () => {
    const { id } = await client.submit(REQUEST);
    const wait = client.waitFor(id, { timeout: 10_000, followEvents: false, pollIntervalMs: 10 });
    fake.advance(id, "succeeded");
    expect((await wait).state).toBe("succeeded");
    expect(fake.requests.some((r) => r.url.startsWith("/v1/events"))).toBe(false);
  });

  it("throws TimeoutError when the build does not finish in time", async () => {
    const { id } = await client.submit(REQUEST);
    const err = await client.waitFor(id, { timeout: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(fake.builds.get(id)?.state).toBe("queued");
  });
});

/** Polls a predicate on the event loop (no fixed sleeps), bounded. */
async function waitFor(predicate: () => boolean, limitMs = 5_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not met");
    await new Promise((r) => setImmediate(r));
  }
}
