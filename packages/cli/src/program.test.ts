import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FAKE_DIGEST, startFakeApi, type AutoRun, type FakeApi } from "@buildfleet/sdk/testing";
import { runCli } from "./program.js";

let fake: FakeApi;
let dir: string;
let autoRun: AutoRun;

beforeEach(async () => {
  autoRun = "hold";
  fake = await startFakeApi({ autoRun: () => autoRun });
  dir = await mkdtemp(join(tmpdir(), "buildfleet-cli-"));
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; stdin?: string } = {}): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env: options.env ?? { BUILDFLEET_URL: fake.url, BUILDFLEET_TOKEN: fake.token },
    cwd: dir,
    readStdin: async () => options.stdin ?? "",
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { code, stdout, stderr };
}

const MIRROR = ["submit", "--dockerfile-inline", "FROM busybox:latest", "-d", "registry.internal:5000/mirror/busybox:1.36"];

describe("submit", () => {
  it("submits from flags and prints the build name", async () => {
    const run = await cli([...MIRROR, "--build-arg", "A=1", "-l", "team=payments"]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(/^build\/\S+ submitted \(queued, queue position 1\)\n$/);
    const sent = fake.requests.find((r) => r.method === "POST")?.body;
    expect(sent).toMatchObject({ buildArgs: { A: "1" }, labels: { team: "payments" }, dockerfile: { inline: "FROM busybox:latest" } });
  });

  it("says when a queued build should start, in the submit answer and in status, when the API estimates it", async () => {
    await fake.close();
    fake = await startFakeApi({ etaSecondsPerPosition: 90 });
    await cli(MIRROR);
    const second = await cli(MIRROR);
    expect(second.stdout).toMatch(/^build\/\S+ submitted \(queued, queue position 2, starts in about 3m\)\n$/);
    const id = second.stdout.split(" ")[0]?.replace("build/", "") ?? "";
    expect((await cli(["status", id])).stdout).toMatch(/^Waiting: queue position 2, starts in about 3m\.$/m);
    expect(JSON.parse((await cli(["status", id, "-o", "json"])).stdout)).toMatchObject({ queuePosition: 2, etaSeconds: 180 });
    fake.advance(id, "running");
    expect((await cli(["status", id])).stdout).not.toContain("Waiting");
  });

  it("reads a YAML request file, with flags overriding it", async () => {
    await writeFile(
      join(dir, "req.yaml"),
      "context: { type: volume, claimName: kaniko-workspace, path: my-build }\ndestinations: [registry.internal:5000/a:v1]\nretries: 1\n",
    );
    const run = await cli(["submit", "-f", "req.yaml", "--retries", "3", "-o", "json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ state: "queued", idempotent: false });
    expect(fake.requests.find((r) => r.method === "POST")?.body).toMatchObject({ context: { type: "volume" }, retries: 3 });
  });

  it("reads the request from stdin with -f -", async () => {
    const run = await cli(["submit", "-f", "-", "-o", "name"], { stdin: '{"context":{"type":"inline","files":{}},"dockerfile":{"inline":"FROM x"},"destinations":["r/a:v1"]}' });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^build\/\S+\n$/);
  });

  it("sends --context-dir as inline files", async () => {
    await mkdir(join(dir, "ctx", "src"), { recursive: true });
    await writeFile(join(dir, "ctx", "Dockerfile"), "FROM alpine\nCOPY src /src\n");
    await writeFile(join(dir, "ctx", "src", "app.py"), "print('hi')\n");
    const run = await cli(["submit", "--context-dir", "ctx", "-d", "r/a:v1"]);
    expect(run.code).toBe(0);
    expect(fake.requests.find((r) => r.method === "POST")?.body).toMatchObject({
      context: { type: "inline", files: { Dockerfile: "FROM alpine\nCOPY src /src\n", "src/app.py": "print('hi')\n" } },
    });
  });

  it("waits, shows state changes and logs, and prints the digest (exit 0)", async () => {
    autoRun = "succeed";
    const run = await cli([...MIRROR, "--wait"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^build\/\S+ succeeded\ndigest: sha256:[0-9a-f]{64}\n$/);
    expect(run.stdout).toContain(FAKE_DIGEST);
    expect(run.stderr).toMatch(/succeeded/);
    expect(run.stderr).toContain("| INFO Pushing image");
  });

  it("exits 1 with the failure reason when the build fails", async () => {
    autoRun = "fail";
    const run = await cli([...MIRROR, "--wait", "--no-logs"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/failed \(BackoffLimitExceeded\): kaniko exited 1: push failed/);
    expect(run.stdout).toBe("");
  });

  it("exits 4 (its own code) when --timeout passes first", async () => {
    const run = await cli([...MIRROR, "--wait", "--timeout", "50ms"]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/did not finish within 50 ms/);
  });

  it("exits 130 when interrupted while waiting, leaving the build alone", async () => {
    const controller = new AbortController();
    const pending = cli([...MIRROR, "--wait"], { signal: controller.signal });
    // Interrupt once the build exists (event-driven, bounded by the test timeout).
    while (fake.builds.size === 0) await new Promise((r) => setImmediate(r));
    controller.abort(new Error("interrupted"));
    const run = await pending;
    expect(run.code).toBe(130);
    expect([...fake.builds.values()][0]?.state).toBe("queued");
  });

  it("exits 2 with the field issues when the API refuses the request", async () => {
    await writeFile(join(dir, "bad.json"), '{"context":{"type":"inline","files":{}},"destinations":[]}');
    const run = await cli(["submit", "-f", "bad.json"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("destinations: at least one destination is required (example: registry.example.com/team/app:v1.2.3)");
  });

  it.each([
    [["submit", "--pvc", "ws:dir"], /no destination/],
    [["submit", "-f", "missing.yaml"], /cannot read missing.yaml: ENOENT/],
    [["submit", "--bogus"], /unknown option '--bogus'/],
    [[...MIRROR, "--timeout", "soon"], /--timeout expects a duration/],
  ])("exits 2 for a usage error: %j", async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(fake.builds.size).toBe(0);
  });
});

describe("status, ls, logs, cancel, events, queue", () => {
  async function submitOne(labels: string[] = []): Promise<string> {
    const run = await cli([...MIRROR, ...labels.flatMap((l) => ["-l", l]), "-o", "name"]);
    return run.stdout.trim().replace("build/", "");
  }

  it("shows a build as a table, wide, and as YAML with its events", async () => {
    const id = await submitOne();
    fake.advance(id, "running");
    const table = await cli(["status", id]);
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+STATE\s+ATTEMPTS\s+DIGEST\s+AGE$/);
    expect(table.stdout).toMatch(new RegExp(`^${id}\\s+running\\s+0\\s+<none>\\s+\\d+s$`, "m"));
    const wide = await cli(["status", id, "-o", "wide"]);
    expect(wide.stdout).toContain("registry.internal:5000/mirror/busybox:1.36");
    const yaml = parse((await cli(["status", id, "-o", "yaml"])).stdout) as { state: string; events: { type: string }[] };
    expect(yaml.state).toBe("running");
    expect(yaml.events.map((e) => e.type)).toEqual(["build.queued", "build.running"]);
  });

  it("exits 3 for a build the API does not know, and for a bad token", async () => {
    expect((await cli(["status", "nope"])).code).toBe(3);
    const bad = await cli(["status", "nope"], { env: { BUILDFLEET_URL: fake.url, BUILDFLEET_TOKEN: "wrong" } });
    expect(bad).toMatchObject({ code: 3 });
    expect(bad.stderr).toContain("UNAUTHORIZED");
  });

  it("exits 3 when the API cannot be reached", async () => {
    const url = fake.url;
    await fake.close();
    fake = await startFakeApi();
    const run = await cli(["ls"], { env: { BUILDFLEET_URL: url, BUILDFLEET_TOKEN: "x" } });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/error: GET http:\/\/127\.0\.0\.1:\d+\/v1\/builds/);
  });

  it("reads the address and token from .buildfleet/dev.env", async () => {
    await mkdir(join(dir, ".buildfleet"));
    await writeFile(join(dir, ".buildfleet", "dev.env"), `BUILDFLEET_URL=${fake.url}\nBUILDFLEET_TOKEN=${fake.token}\n`);
    expect((await cli(["queue", "stats"], { env: {} })).code).toBe(0);
  });

  it("lists builds filtered by state and label", async () => {
    const a = await submitOne(["team=payments"]);
    const b = await submitOne(["team=payments"]);
    await submitOne(["team=search"]);
    fake.advance(a, "running");
    const run = await cli(["ls", "--state", "queued", "-l", "team=payments"]);
    const rows = run.stdout.trim().split("\n");
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatch(new RegExp(`^${b}\\s+queued`));
    expect((await cli(["ls", "--state", "done"])).code).toBe(2);
    expect((await cli(["ls", "--state", "failed"])).stderr).toBe("No builds found.\n");
  });

  it("prints logs and follows them until the build ends", async () => {
    const id = await submitOne();
    fake.appendLog(id, "one");
    fake.appendLog(id, "two");
    expect((await cli(["logs", id, "--tail", "1"])).stdout).toBe("two\n");
    const follow = cli(["logs", id, "-f"]);
    while (!fake.requests.some((r) => r.url.includes("follow=true"))) await new Promise((r) => setImmediate(r));
    fake.appendLog(id, "three");
    fake.advance(id, "succeeded");
    expect((await follow).stdout).toBe("one\ntwo\nthree\n");
  });

  it("cancels a queued build and exits 3 on a finished one", async () => {
    const id = await submitOne();
    expect((await cli(["cancel", id])).stdout).toBe(`build/${id} cancelled\n`);
    const again = await cli(["cancel", id]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain("CONFLICT");
  });

  it("follows new events of one build with -f and stops after --count", async () => {
    const id = await submitOne();
    const pending = cli(["events", "--build", id, "-f", "--count", "2"]);
    while (!fake.requests.some((r) => r.url.startsWith("/v1/events"))) await new Promise((r) => setImmediate(r));
    fake.advance(id, "starting");
    fake.advance(id, "running");
    const run = await pending;
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`build\\.started\\s+build/${id}\\s+attempt=1 job=b-`));
    expect(lines[1]).toContain("build.running");
  });

  it("shows, pauses and resumes the queue", async () => {
    await submitOne();
    const stats = await cli(["queue", "stats"]);
    expect(stats.stdout).toContain("Builds (created in the last 24 h), by state:\nQUEUED");
    expect(stats.stdout).toMatch(/\nBullMQ jobs \(a failed build is a completed job\):\nWAITING\s+ACTIVE\s+DELAYED\s+PRIORITIZED\s+COMPLETED\s+FAILED\s+PAUSED\n1\s+0\s+0\s+0\s+0\s+0\s+false\n$/);
    expect(JSON.parse((await cli(["queue", "pause", "-o", "json"])).stdout)).toMatchObject({ paused: true });
    expect((await cli(["queue", "resume"])).stdout).toMatch(/false\n$/);
    expect((await cli(["queue", "obliterate"])).code).toBe(2);
  });

  it("documents the exit codes in --help", async () => {
    const run = await cli(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Exit codes:");
    expect(run.stdout).toMatch(/2\s+usage error/);
  });
});

describe("kubectl habits", () => {
  it("prints its version with --version", async () => {
    const run = await cli(["--version"]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
  });

  it.each(["bash", "zsh", "fish"])("prints a %s completion script naming every command", async (shell) => {
    const run = await cli(["completion", shell]);
    expect(run.code).toBe(0);
    for (const command of ["submit", "status", "ls", "logs", "cancel", "events", "queue", "wait"]) expect(run.stdout).toContain(command);
    expect(run.stdout).toContain("--idempotency-key".slice(shell === "fish" ? 2 : 0));
  });

  it("refuses an unknown shell", async () => {
    expect((await cli(["completion", "tcsh"])).code).toBe(2);
  });
});

describe("-o jsonpath", () => {
  it("prints fields of status and ls with kubectl's template syntax", async () => {
    const id = (await cli([...MIRROR, "-q"])).stdout.trim();
    expect((await cli(["status", id, "-o", "jsonpath={.state}"])).stdout).toBe("queued");
    expect((await cli(["ls", "-o", "jsonpath={.items[*].id}{'\\n'}"])).stdout).toBe(`${id}\n`);
    expect((await cli(["ls", "-o", "jsonpath={.items"])).code).toBe(2);
  });
});
