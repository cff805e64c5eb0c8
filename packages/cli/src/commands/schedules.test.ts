import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../program.js";

/** The schedule commands against a scripted fetch: what they send, what they print, how they exit. */

interface Sent {
  method: string;
  path: string;
  body: unknown;
}

let dir: string;
let sent: Sent[];
let answer: (s: Sent) => { status: number; body: unknown };

const json = (status: number, body: unknown) => ({ status, body });

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env: { BUILDFLEET_URL: "http://api.test", BUILDFLEET_TOKEN: "t" },
    cwd: dir,
    readStdin: async () => "",
    fetch: async (input, init) => {
      const url = new URL(input);
      const body = typeof init.body === "string" ? (JSON.parse(init.body) as unknown) : undefined;
      const s: Sent = { method: init.method ?? "GET", path: `${url.pathname}${url.search}`, body };
      sent.push(s);
      const res = answer(s);
      return new Response(typeof res.body === "string" ? res.body : JSON.stringify(res.body), { status: res.status, headers: { "content-type": "application/json" } });
    },
  });
  return { code, stdout, stderr };
}

const view = (name: string, result: string | null) => ({
  apiVersion: "buildfleet.dev/v1",
  kind: "Schedule",
  metadata: { name },
  spec: { cron: "0 * * * *", timeZone: "UTC", target: {}, skipIfUnchanged: true, cascade: false, concurrencyPolicy: "Forbid", startingDeadlineSeconds: 300, suspend: false },
  status: { tenant: "team-a", createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z", next: "2026-01-01T11:00:00.000Z", last: "2026-01-01T10:00:00.000Z", result, runs: [] },
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "buildfleet-cli-schedules-"));
  sent = [];
  answer = () => json(500, {});
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("schedules commands", () => {
  it("applies a Schedule document with PUT /v1/schedules/:name", async () => {
    await writeFile(join(dir, "s.yaml"), "apiVersion: buildfleet.dev/v1\nkind: Schedule\nmetadata: { name: busybox-mirror }\nspec: { cron: '0 * * * *', target: { mirror: { source: 'busybox:latest', destinations: ['r.internal:5000/m/busybox:1'] } } }\n");
    answer = () => json(201, { result: "created", schedule: view("busybox-mirror", null) });
    const run = await cli(["apply", "-f", "s.yaml"]);
    expect(run.code).toBe(0);
    expect(sent[0]).toMatchObject({ method: "PUT", path: "/v1/schedules/busybox-mirror" });
    expect(run.stdout).toBe("schedule/busybox-mirror created\n");
  });

  it("lists NAME, CRON, NEXT, LAST and RESULT", async () => {
    answer = () => json(200, { items: [view("busybox-mirror", "skipped: unchanged")] });
    const run = await cli(["schedules", "ls"]);
    expect(run.stdout.split("\n")[0]).toMatch(/^NAME\s+CRON\s+NEXT\s+LAST\s+RESULT/);
    expect(run.stdout).toContain("skipped: unchanged");
  });

  it("triggers, suspends, resumes and deletes by name", async () => {
    answer = (s) => json(s.method === "DELETE" ? 200 : 202, s.path.endsWith("/trigger") ? { triggered: "m", fireAt: "x" } : view("m", null));
    for (const verb of ["trigger", "suspend", "resume", "delete"]) expect((await cli(["schedules", verb, "m"])).code).toBe(0);
    expect(sent.map((s) => `${s.method} ${s.path}`)).toEqual(["POST /v1/schedules/m/trigger", "POST /v1/schedules/m/suspend", "POST /v1/schedules/m/resume", "DELETE /v1/schedules/m"]);
  });
});
