import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BuildfleetClient } from "@buildfleet/sdk";
import { appendBuildLog, keyspace } from "@buildfleet/shared";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { startLiveApi, type LiveApi } from "./live-api.js";

/** The CLI in-process against the real API on real Redis (builds moved as a worker would). */

const MIRROR = ["submit", "--dockerfile-inline", "FROM busybox:latest", "-d", "registry.internal:5000/mirror/busybox:1.36"];

/** The id of the n-th build the API created, once it exists (bounded). */
async function nthBuild(redis: ReturnType<typeof useRedis>, n = 1, limitMs = 10_000): Promise<string> {
  const conn = redis.connection();
  const ks = keyspace(redis.prefix);
  const deadline = Date.now() + limitMs;
  for (;;) {
    const ids = await conn.zrange(ks.buildIndex, "0", "-1");
    if (ids.length >= n) return ids[n - 1]!;
    if (Date.now() > deadline) throw new Error(`no build ${n} within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("buildfleet CLI against the real API", () => {
  const redis = useRedis();

  describe("idempotency keys", () => {
    it("refuses a key reused for another request (exit 2, naming the original build) and returns the original for the same one", async () => {
      const api = await startLiveApi(redis);
      const first = await api.cli([...MIRROR, "--idempotency-key", "K", "-o", "name"]);
      expect(first.code).toBe(0);
      const again = await api.cli([...MIRROR, "--idempotency-key", "K", "-o", "name"]);
      expect(again).toMatchObject({ code: 0, stdout: first.stdout });
      const other = await api.cli(["submit", "--dockerfile-inline", "FROM alpine:3.20", "-d", "registry.internal:5000/tools/alpine-tools:1", "--idempotency-key", "K"]);
      expect(other.code).toBe(2);
      expect(other.stdout).toBe("");
      expect(other.stderr).toContain("IDEMPOTENCY_KEY_REUSED");
      expect(other.stderr).toContain(first.stdout.trim().replace(/^build\//, ""));
    });
  });

  describe("rate limits", () => {
    it("submit --wait waits out 429s while following the build instead of failing", async () => {
      const api: LiveApi = await startLiveApi(redis, { rateLimit: { max: 2, timeWindowMs: 1_000 } });
      const run = api.cli([...MIRROR, "--wait", "--no-logs", "--timeout", "60s", "-o", "name"]);
      const id = await nthBuild(redis);
      await api.markRunning(id);
      await api.finish(id);
      const result = await run;
      expect(result.stderr).not.toContain("RATE_LIMITED");
      expect(result).toMatchObject({ code: 0, stdout: `build/${id}\n` });
    });
  });

  describe("events", () => {
    it("replays a finished build's events and exits after its terminal event", async () => {
      const api = await startLiveApi(redis);
      const name = (await api.cli([...MIRROR, "-o", "name"])).stdout.trim();
      const id = name.replace("build/", "");
      await api.markRunning(id);
      await api.finish(id, "failed");
      const run = await api.cli(["events", "--build", name, "-o", "json"]);
      expect(run.code).toBe(0);
      const types = run.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { type: string }).type);
      expect(types).toEqual(["build.queued", "build.running", "build.failed"]);
    });

    it("replays a running build's history, then follows it to its end", async () => {
      const api = await startLiveApi(redis);
      const id = (await api.cli([...MIRROR, "-o", "name"])).stdout.trim().replace("build/", "");
      await api.markRunning(id);
      let out = "";
      const running = api.cli(["events", "--build", id]).then((r) => {
        out = r.stdout;
        return r;
      });
      // The history line arrives first; then the build ends and so does the command.
      await api.finish(id);
      const run = await running;
      expect(run.code).toBe(0);
      expect(out.match(/build\.(queued|running|succeeded)/g)).toEqual(["build.queued", "build.running", "build.succeeded"]);
    });

    it("explains a bad --since in the CLI's terms", async () => {
      const api = await startLiveApi(redis);
      const run = await api.cli(["events", "--since", "0"]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("--since expects an event id");
      expect(run.stderr).not.toContain("Last-Event-ID");
    });
  });

  describe("queue stats", () => {
    it("shows failed builds as failed, from the records, and labels BullMQ's counts", async () => {
      const api = await startLiveApi(redis);
      const id = (await api.cli([...MIRROR, "-o", "name"])).stdout.trim().replace("build/", "");
      await api.finish(id, "failed");
      const run = await api.cli(["queue", "stats"]);
      expect(run.code).toBe(0);
      const lines = run.stdout.split("\n");
      const header = lines.findIndex((l) => l.startsWith("QUEUED"));
      const cols = lines[header]!.split(/\s+/);
      const values = lines[header + 1]!.split(/\s+/);
      expect(values[cols.indexOf("FAILED")]).toBe("1");
      expect(run.stdout).toContain("BullMQ jobs");
    });
  });

  describe("scriptable stdout", () => {
    it("accepts its own -o name output in status, cancel and logs", async () => {
      const api = await startLiveApi(redis);
      const name = (await api.cli([...MIRROR, "-o", "name"])).stdout.trim();
      expect(name).toMatch(/^build\/[0-9a-z]+$/);
      const status = await api.cli(["status", name, "-o", "name"]);
      expect(status).toMatchObject({ code: 0, stdout: `${name}\n` });
      expect((await api.cli(["logs", name])).code).toBe(0);
      const cancel = await api.cli(["cancel", name, "-o", "name"]);
      expect(cancel).toMatchObject({ code: 0, stdout: `${name}\n`, stderr: "" });
    });

    it("submit --wait -q prints the digest alone", async () => {
      const api = await startLiveApi(redis);
      const run = api.cli([...MIRROR, "--wait", "--no-logs", "-q"]);
      const id = await nthBuild(redis);
      await api.finish(id);
      const result = await run;
      expect(result).toMatchObject({ code: 0, stdout: `sha256:${"b".repeat(64)}\n` });
    });

    it("ends quietly (exit 0, no stack trace) when the reader of stdout goes away", async () => {
      const api = await startLiveApi(redis);
      for (let i = 0; i < 3; i++) await api.cli([...MIRROR, "-o", "name"]);
      const main = fileURLToPath(new URL("../../packages/cli/src/main.ts", import.meta.url));
      const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", main, "ls", "-o", "json"], {
        env: { PATH: process.env["PATH"] ?? "", BUILDFLEET_URL: api.url, BUILDFLEET_TOKEN: api.token },
        stdio: ["ignore", "pipe", "pipe"],
      });
      // Like `| head -c 0`: the read end is closed before the CLI writes anything.
      child.stdout.destroy();
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.once("exit", (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      expect(stderr).not.toContain("EPIPE");
      expect(code).toBe(0);
    });
  });

  describe("bulk input", () => {
    const doc = (repo: string) => `context: { type: inline, files: {} }\ndockerfile: { inline: "FROM busybox:latest" }\ndestinations: [registry.internal:5000/mirror/${repo}:1]\n`;

    it("submits each document of a multi-document YAML file once, and again returns the same builds", async () => {
      const dir = await mkdtemp(join(tmpdir(), "buildfleet-bulk-"));
      try {
        await writeFile(join(dir, "mirrors.yaml"), `${doc("a")}---\n${doc("b")}---\n${doc("c")}`);
        const api = await startLiveApi(redis, { cwd: dir });
        const first = await api.cli(["submit", "-f", "mirrors.yaml", "-o", "name"]);
        expect(first.code).toBe(0);
        const names = first.stdout.trim().split("\n");
        expect(names).toHaveLength(3);
        expect(new Set(names).size).toBe(3);
        const again = await api.cli(["submit", "-f", "mirrors.yaml", "-o", "name"]);
        expect(again.stdout.trim().split("\n")).toEqual(names);
        const listed = await api.cli(["ls", "-o", "name"]);
        expect(listed.stdout.trim().split("\n").sort()).toEqual([...names].sort());
        // A YAML list of requests is the same thing.
        await writeFile(join(dir, "list.yaml"), `- ${doc("d").trimEnd().replace(/\n/g, "\n  ")}\n- ${doc("e").trimEnd().replace(/\n/g, "\n  ")}\n`);
        expect((await api.cli(["submit", "-f", "list.yaml", "-q"])).stdout.trim().split("\n")).toHaveLength(2);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("lists past the 200 cap with --all, and explains the cap for a larger --limit", async () => {
      const api = await startLiveApi(redis);
      const big = await api.cli(["ls", "--limit", "500"]);
      expect(big.code).toBe(2);
      expect(big.stderr).toContain("--limit is at most 200");
      const client = new BuildfleetClient({ baseUrl: api.url, token: api.token });
      const request = { context: { type: "inline", files: {} }, dockerfile: { inline: "FROM busybox:latest" }, destinations: ["registry.internal:5000/mirror/busybox:1"] };
      for (let batch = 0; batch < 11; batch++) await Promise.all(Array.from({ length: 19 }, () => client.submit(request)));
      const all = await api.cli(["ls", "--all", "-o", "name"]);
      expect(all.stderr).toBe("");
      expect(new Set(all.stdout.trim().split("\n")).size).toBe(209);
      const headless = await api.cli(["ls", "--no-headers"]);
      expect(headless.stdout.split("\n")[0]).toMatch(/^[0-9a-z]+\s+queued/);
    });
  });

  describe("logs", () => {
    it("--since keeps the lines of the last duration or since a time; --timestamps prefixes each with its time", async () => {
      const api = await startLiveApi(redis);
      const id = (await api.cli([...MIRROR, "-q"])).stdout.trim();
      const minutesAgo = (m: number): string => new Date(Date.now() - m * 60_000).toISOString();
      const [tenAgo, twoAgo, now] = [minutesAgo(10), minutesAgo(2), minutesAgo(0)];
      await appendBuildLog(redis.connection(), keyspace(redis.prefix), id, 1, [
        { line: "INFO[0000] Retrieving image manifest busybox:latest", time: tenAgo },
        { line: "INFO[0001] Pushing image", time: twoAgo },
        { line: "INFO[0002] Pushed registry.internal:5000/mirror/busybox:1.36", time: now },
      ]);
      expect((await api.cli(["logs", id, "--since", "5m"])).stdout).toBe("INFO[0001] Pushing image\nINFO[0002] Pushed registry.internal:5000/mirror/busybox:1.36\n");
      expect((await api.cli(["logs", `build/${id}`, "--since", twoAgo, "--tail", "1", "--timestamps"])).stdout).toBe(
        `${now} INFO[0002] Pushed registry.internal:5000/mirror/busybox:1.36\n`,
      );
      expect((await api.cli(["logs", id, "--timestamps"])).stdout.split("\n")[0]).toBe(`${tenAgo} INFO[0000] Retrieving image manifest busybox:latest`);
      const bad = await api.cli(["logs", id, "--since", "yesterday"]);
      expect(bad).toMatchObject({ code: 2, stdout: "" });
      expect(bad.stderr).toContain("--since expects a duration");
    });
  });

  describe("waiting", () => {
    it("gives --timeout its own exit code (4) and says how to reattach", async () => {
      const api = await startLiveApi(redis);
      const run = await api.cli([...MIRROR, "--wait", "--no-logs", "--timeout", "1s"]);
      const id = await nthBuild(redis);
      expect(run.code).toBe(4);
      expect(run.stderr).toContain(`Reattach with: buildfleet wait ${id}`);
    });

    it("on Ctrl-C during --wait says how to reattach, and wait picks the build up again", async () => {
      const api = await startLiveApi(redis);
      const ctrlC = new AbortController();
      // Ctrl-C once the CLI waits (it printed the submit answer), not while the submit is in flight.
      let submitted!: () => void;
      const waiting = new Promise<void>((resolve) => (submitted = resolve));
      const run = api.cli([...MIRROR, "--wait", "--no-logs"], { signal: ctrlC.signal, onStderr: (text) => text.includes(" submitted (") && submitted() });
      const id = await nthBuild(redis);
      await api.markRunning(id);
      await waiting;
      ctrlC.abort(new Error("interrupted"));
      const interrupted = await run;
      expect(interrupted.code).toBe(130);
      expect(interrupted.stderr).toContain(`buildfleet wait ${id}`);
      const reattached = api.cli(["wait", `build/${id}`, "--timeout", "60s"]);
      await api.finish(id);
      expect(await reattached).toMatchObject({ code: 0, stdout: `build/${id} succeeded sha256:${"b".repeat(64)}\n` });
    });

    it("wait --for terminal accepts a failed build; --for succeeded exits 1 for it", async () => {
      const api = await startLiveApi(redis);
      const a = (await api.cli([...MIRROR, "-q"])).stdout.trim();
      const b = (await api.cli([...MIRROR, "-q", "-l", "n=2"])).stdout.trim();
      await api.finish(a);
      await api.finish(b, "failed");
      expect((await api.cli(["wait", a, b, "--for", "terminal"])).code).toBe(0);
      const strict = await api.cli(["wait", a, b]);
      expect(strict.code).toBe(1);
      expect(strict.stdout).toContain(`build/${b} failed (BackoffLimitExceeded)`);
    });
  });

  describe("rerun", () => {
    it("submits the same request again as a new build labelled retry-of", async () => {
      const api = await startLiveApi(redis);
      const first = (await api.cli([...MIRROR, "-l", "team=payments", "--idempotency-key", "once", "-q"])).stdout.trim();
      await api.finish(first, "failed");
      const run = await api.cli(["rerun", `build/${first}`, "-q"]);
      expect(run.code).toBe(0);
      const second = run.stdout.trim();
      expect(second).not.toBe(first);
      const status = JSON.parse((await api.cli(["status", second, "-o", "json"])).stdout) as { state: string; labels: Record<string, string>; request: { destinations: string[] } };
      expect(status).toMatchObject({ state: "queued", labels: { team: "payments", "retry-of": first }, request: { destinations: ["registry.internal:5000/mirror/busybox:1.36"] } });
      expect((await api.cli(["ls", "-l", `retry-of=${first}`, "-o", "name"])).stdout).toBe(`build/${second}\n`);
    });
  });

  describe("watch", () => {
    it("status -w prints a row per state it sees and ends with the build", async () => {
      const api = await startLiveApi(redis);
      const id = (await api.cli([...MIRROR, "-q"])).stdout.trim();
      let shown!: () => void;
      const firstRow = new Promise<void>((resolve) => (shown = resolve));
      const watching = api.cli(["status", id, "-w"], { onStdout: (text) => text.includes("queued") && shown() });
      await firstRow;
      await api.finish(id, "failed");
      const run = await watching;
      expect(run.code).toBe(0);
      expect(run.stdout.split("\n").filter((l) => l !== "").map((l) => l.split(/\s+/)[1])).toEqual(["STATE", "queued", "failed"]);
    });

    it("ls -w lists, then prints a row per matching state change (new builds too) until Ctrl-C", async () => {
      const api = await startLiveApi(redis);
      const first = (await api.cli([...MIRROR, "-q", "-l", "team=payments"])).stdout.trim();
      await api.cli([...MIRROR, "-q", "-l", "team=search"]); // filtered out by -l: never shown
      const rows = (text: string): string[][] => text.split("\n").filter((l) => l !== "").map((l) => l.split(/\s+/));
      const ctrlC = new AbortController();
      let step = 0;
      const reached: (() => void)[] = [];
      const stepReached = (n: number): Promise<void> => new Promise((resolve) => (reached[n] = resolve));
      const listed = stepReached(1);
      const sawRunning = stepReached(2);
      const sawSecond = stepReached(3);
      const watching = api.cli(["ls", "-w", "-l", "team=payments"], {
        signal: ctrlC.signal,
        onStdout: (text) => {
          const count = rows(text).length; // header + first build, then one row per change
          while (step < count - 1) reached[++step]?.();
        },
      });
      await listed;
      await api.markRunning(first);
      await sawRunning;
      const second = (await api.cli([...MIRROR, "-q", "-l", "team=payments"])).stdout.trim();
      await sawSecond;
      ctrlC.abort(new Error("interrupted"));
      const run = await watching;
      expect(run.code).toBe(0); // Ctrl-C is how a watch ends
      expect(rows(run.stdout).map((r) => [r[0], r[1]])).toEqual([
        ["NAME", "STATE"],
        [first, "queued"],
        [first, "running"],
        [second, "queued"],
      ]);
    });
  });
});
