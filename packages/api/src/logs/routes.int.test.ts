import { useRedis } from "@buildfleet/testkit";
import { appendBuildLog } from "@buildfleet/shared";
import { describe, expect, it } from "vitest";
import { TOKENS, startHarness } from "../test-support/harness.js";
import { openStream } from "../test-support/stream-client.js";

describe("GET /v1/builds/:id/logs", () => {
  const redis = useRedis();

  it("returns the log as text, one line per line, and the last lines with tail", async () => {
    const h = await startHarness(redis);
    const { id } = await h.submit();
    await appendBuildLog(h.redis, h.ks, id, 1, ["INFO[0000] Retrieving image", "INFO[0001] RUN apk add curl", "", "done"]);

    const all = await h.inject(TOKENS.readOnly, { method: "GET", url: `/v1/builds/${id}/logs` });
    expect(all.statusCode).toBe(200);
    expect(all.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(all.body).toBe("INFO[0000] Retrieving image\nINFO[0001] RUN apk add curl\n\ndone\n");
    const tail = await h.inject(TOKENS.readOnly, { method: "GET", url: `/v1/builds/${id}/logs?tail=2` });
    expect(tail.body).toBe("\ndone\n");
    const none = await h.inject(TOKENS.readOnly, { method: "GET", url: `/v1/builds/${id}/logs?tail=0` });
    expect(none.body).toBe("");
  });

  it("keeps the lines written since sinceTime or sinceSeconds (tail after that), with their times on request", async () => {
    const h = await startHarness(redis);
    const { id } = await h.submit();
    const recent = new Date(Date.now() - 30_000).toISOString();
    const now = new Date().toISOString();
    await appendBuildLog(h.redis, h.ks, id, 1, [
      { line: "old", time: "2026-01-01T10:00:00.000Z" },
      { line: "newer", time: "2026-01-01T10:00:05.500Z" },
      { line: "recent", time: recent },
      { line: "now", time: now },
    ]);
    const get = async (query: string): Promise<string> => (await h.inject(TOKENS.readOnly, { method: "GET", url: `/v1/builds/${id}/logs?${query}` })).body;
    expect(await get("sinceTime=2026-01-01T11:00:05%2B01:00")).toBe("newer\nrecent\nnow\n"); // 10:00:05Z
    expect(await get("sinceSeconds=60")).toBe("recent\nnow\n");
    expect(await get("sinceTime=2026-01-01T10:00:01Z&tail=1&timestamps=true")).toBe(`${now} now\n`);
    expect(await get("timestamps=true&tail=3")).toBe(`2026-01-01T10:00:05.500Z newer\n${recent} recent\n${now} now\n`);
  });

  it("refuses bad parameters, naming them", async () => {
    const h = await startHarness(redis);
    const { id } = await h.submit();
    for (const [query, path] of [
      ["tail=-1", "tail"],
      ["follow=maybe", "follow"],
      ["grep=x", "grep"],
      ["sinceTime=yesterday", "sinceTime"],
      ["sinceSeconds=0", "sinceSeconds"],
      ["sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z", "sinceSeconds"],
      ["timestamps=yes-please", "timestamps"],
    ] as const) {
      const res = await h.inject(TOKENS.teamA, { method: "GET", url: `/v1/builds/${id}/logs?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(JSON.stringify(res.json()), query).toContain(`"path":"${path}"`);
    }
  });

  it("with follow, ends at once for a finished build", async () => {
    const h = await startHarness(redis);
    const { id } = await h.submit();
    await appendBuildLog(h.redis, h.ks, id, 1, ["a", "b"]);
    await h.finish(id);
    const res = await h.inject(TOKENS.teamA, { method: "GET", url: `/v1/builds/${id}/logs?follow=true` });
    expect(res.body).toBe("a\nb\n");
  });

  it("with follow, streams new lines as they arrive and ends once the build is finished", async () => {
    const h = await startHarness(redis, { timing: { logPollMs: 20 } });
    const { id } = await h.submit();
    await appendBuildLog(h.redis, h.ks, id, 1, ["first"]);
    const base = await h.listen();
    const client = await openStream(`${base}/v1/builds/${id}/logs?follow=true&tail=1`, { authorization: `Bearer ${TOKENS.teamA}` });
    expect(client.status).toBe(200);
    await client.waitFor(() => client.text() === "first\n");
    await h.markRunning(id);
    await appendBuildLog(h.redis, h.ks, id, 1, ["second", "third"]);
    await client.waitFor(() => client.text().includes("third\n"));
    await appendBuildLog(h.redis, h.ks, id, 1, ["last words"]);
    await h.finish(id);
    await client.ended();
    expect(client.text()).toBe("first\nsecond\nthird\nlast words\n");
  });
});
