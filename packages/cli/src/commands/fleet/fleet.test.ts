import { BuildfleetClient } from "@buildfleet/sdk";
import { describe, expect, it } from "vitest";
import { runCli } from "../../program.js";
import { runDrain } from "./drain.js";

/** A scripted API: each GET /v1/queue answers the next running count (the last one repeats). */
function scriptedApi(runningSeq: number[], drainGone = false) {
  const calls: { method: string; path: string; body?: unknown }[] = [];
  let i = 0;
  const fetch = async (input: string, init: RequestInit): Promise<Response> => {
    const url = new URL(input);
    const body = typeof init.body === "string" ? (JSON.parse(init.body) as unknown) : undefined;
    calls.push({ method: init.method ?? "GET", path: url.pathname, ...(body !== undefined ? { body } : {}) });
    const running = runningSeq[Math.min(i, runningSeq.length - 1)] ?? 0;
    const drain = { state: running === 0 ? "drained" : "draining", since: "2026-12-02T12:00:00.000Z", by: "api:ops", cancelQueued: false, rejectNew: false };
    if (url.pathname === "/v1/queue/drain") {
      return Response.json({ paused: true, pausedSince: drain.since, drain, running: runningSeq[0], queued: 4, cancelled: 4 });
    }
    if (url.pathname === "/v1/queue") {
      i++;
      const counts = { waiting: 0, active: running, delayed: 0, prioritized: 4, completed: 0, failed: 0 };
      return Response.json({ counts, paused: true, pausedSince: drain.since, drain: drainGone ? null : drain });
    }
    if (url.pathname === "/v1/workers") {
      return Response.json({ items: [{ id: "w-1", host: "node-1", pid: 7, version: "0.1.0", capacity: 4, inFlight: 2, state: "quiet", startedAt: drain.since, heartbeatAt: drain.since }] });
    }
    return Response.json({ error: { code: "NOT_FOUND", message: "no route" } }, { status: 404 });
  };
  return { calls, fetch };
}

async function cli(args: string[], fetch: (input: string, init: RequestInit) => Promise<Response>) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env: { BUILDFLEET_URL: "http://api.test", BUILDFLEET_TOKEN: "t" },
    cwd: "/nonexistent",
    readStdin: async () => "",
    fetch,
  });
  return { code, stdout, stderr };
}

describe("queue drain", () => {
  it("--wait reports the running count as it falls and returns only at zero", async () => {
    const api = scriptedApi([3, 3, 2, 0]);
    const client = new BuildfleetClient({ baseUrl: "http://api.test", token: "t", fetch: api.fetch });
    let stdout = "";
    let stderr = "";
    await runDrain(client, { cancelQueued: true, wait: true }, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) }, 10_000, 1);

    expect(api.calls[0]).toEqual({ method: "POST", path: "/v1/queue/drain", body: { cancelQueued: true } });
    // Polled 3, 3, 2, 0: it returned at the first zero, not before.
    expect(api.calls.filter((c) => c.path === "/v1/queue")).toHaveLength(4);
    expect(stderr).toBe("2 running\n0 running\n");
    expect(stdout).toBe("cancelled 4 queued builds (reason Drained)\nqueue draining: intake paused; 3 running\nqueue drained: 0 running\n");
  });

  it("--wait gives up after --timeout with the timeout exit code (4), saying the drain goes on", async () => {
    const api = scriptedApi([2]);
    const run = await cli(["queue", "drain", "--wait", "--timeout", "0s", "--reject-new"], api.fetch);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/did not finish within 0 ms \(2 still running\); it goes on server-side/);
    expect(api.calls[0]?.body).toEqual({ rejectNew: true });
  });

  it("stops waiting when someone resumed the queue meanwhile", async () => {
    const api = scriptedApi([2], true);
    const run = await cli(["queue", "drain", "--wait"], api.fetch);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/drain was ended/);
  });

  it("queue status shows the drain", async () => {
    const run = await cli(["queue", "status"], scriptedApi([1]).fetch);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/draining since 2026-12-02T12:00:00.000Z: 1 running\n$/);
  });
});

describe("workers", () => {
  it("ls prints the table; quiet needs an id", async () => {
    const api = scriptedApi([0]);
    const ls = await cli(["workers", "ls"], api.fetch);
    expect(ls.stdout).toMatch(/^ID\s+STATE\s+IN-FLIGHT.*\nw-1\s+quiet\s+2\s+4\s+node-1\s+0\.1\.0/);
    const bad = await cli(["workers", "quiet"], api.fetch);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/needs a worker id/);
  });
});
