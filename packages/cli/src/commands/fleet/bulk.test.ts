import { describe, expect, it } from "vitest";
import { runCli } from "../../program.js";

/** A scripted bulk API: `matched` builds match; records each request body. */
function bulkApi(matched: number, max = 100) {
  const calls: { path: string; body: Record<string, unknown> }[] = [];
  const fetch = async (input: string, init: RequestInit): Promise<Response> => {
    const url = new URL(input);
    const body = (typeof init.body === "string" ? JSON.parse(init.body) : {}) as Record<string, unknown>;
    calls.push({ path: url.pathname, body });
    const ids = Array.from({ length: Math.min(matched, 20) }, (_, i) => `0000000000000000000000000${i}`.slice(-26));
    const dryRun = body["dryRun"] === true;
    return Response.json({ dryRun, matched, truncated: false, max, needsAll: matched > max, ids, done: dryRun ? 0 : matched, skipped: 0 });
  };
  return { calls, fetch };
}

async function cli(args: string[], fetch: (input: string, init: RequestInit) => Promise<Response>, confirm?: (q: string) => Promise<boolean>) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env: { BUILDFLEET_URL: "http://api.test", BUILDFLEET_TOKEN: "t" },
    cwd: "/nonexistent",
    readStdin: async () => "",
    fetch,
    ...(confirm ? { confirm } : {}),
  });
  return { code, stdout, stderr };
}

describe("cancel/retry by selector", () => {
  it("--dry-run prints the count and first ids and sends nothing else", async () => {
    const api = bulkApi(3);
    const run = await cli(["cancel", "--selector", "team=payments", "--state", "queued", "--dry-run"], api.fetch);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^3 builds to cancel\n {2}build\/\S{26}\n {2}build\/\S{26}\n {2}build\/\S{26}\n$/);
    expect(api.calls).toEqual([{ path: "/v1/bulk/cancel", body: { selector: "team=payments", state: ["queued"], dryRun: true } }]);
  });

  it("asks for confirmation, and does nothing on no", async () => {
    const api = bulkApi(2);
    const questions: string[] = [];
    const no = await cli(["cancel", "-l", "team=payments", "-l", "env=prod"], api.fetch, async (q) => (questions.push(q), false));
    expect(no.code).toBe(0);
    expect(questions).toEqual(["cancel 2 builds? [y/N] "]);
    expect(api.calls).toHaveLength(1);
    expect(api.calls[0]?.body["selector"]).toBe("team=payments,env=prod");

    const yes = await cli(["cancel", "-l", "team=payments"], api.fetch, async () => true);
    expect(yes.stdout).toMatch(/cancelled \(or cancel requested for\) 2 of 2\n$/);
    expect(api.calls.at(-1)).toEqual({ path: "/v1/bulk/cancel", body: { selector: "team=payments" } });
  });

  it("without a terminal needs --yes", async () => {
    const api = bulkApi(2);
    const run = await cli(["retry", "--state", "failed"], api.fetch);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/pass --yes/);
    const yes = await cli(["retry", "--state", "failed", "--yes"], api.fetch);
    expect(yes.stdout).toMatch(/retried 2 of 2/);
    expect(api.calls.at(-1)?.path).toBe("/v1/bulk/retry");
  });

  it("above the API's bound needs --all, and sends all with it", async () => {
    const api = bulkApi(150);
    const run = await cli(["cancel", "--state", "queued", "--yes"], api.fetch);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/more than 100 builds match: pass --all/);
    expect(run.stdout).toMatch(/150 builds to cancel[\s\S]*… and 130 more\n$/);
    const all = await cli(["cancel", "--state", "queued", "--yes", "--all"], api.fetch);
    expect(all.code).toBe(0);
    expect(api.calls.at(-1)?.body).toEqual({ state: ["queued"], all: true });
  });

  it("refuses an id together with a selector, and neither", async () => {
    const api = bulkApi(1);
    expect((await cli(["cancel", "01j0000000000000000000000a", "--state", "queued"], api.fetch)).code).toBe(2);
    expect((await cli(["retry"], api.fetch)).code).toBe(2);
    expect(api.calls).toEqual([]);
  });
});
