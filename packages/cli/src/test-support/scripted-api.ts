import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import type { CliIo } from "../context.js";
import { runCli } from "../program.js";

/** One request the CLI sent to the scripted API. */
export interface Sent {
  method: string;
  path: string;
  body: unknown;
}

export interface ScriptedCli {
  /** A fresh working directory per test (the CLI's cwd). */
  dir: string;
  /** Every request, in order. */
  sent: Sent[];
  /** What the API answers (default 500 {}); set per test. */
  answer: (s: Sent) => { status: number; body: unknown };
  /** Runs the CLI against the scripted API; `io` adds to (or overrides) the test's io, e.g. stderrIsTTY. */
  run(args: string[], io?: Partial<CliIo>): Promise<{ code: number; stdout: string; stderr: string }>;
}

export const json = (status: number, body: unknown): { status: number; body: unknown } => ({ status, body });

/** The CLI against a scripted fetch: what commands send, print and exit with; state is reset before each test. */
export function useScriptedCli(name: string): ScriptedCli {
  const api: ScriptedCli = {
    dir: "",
    sent: [],
    answer: () => json(500, {}),
    async run(args, extra = {}) {
      let stdout = "";
      let stderr = "";
      const code = await runCli(args, {
        stdout: (s) => (stdout += s),
        stderr: (s) => (stderr += s),
        env: { BUILDFLEET_URL: "http://api.test", BUILDFLEET_TOKEN: "t" },
        cwd: api.dir,
        readStdin: async () => "",
        fetch: async (input, init) => {
          const url = new URL(input);
          const body = typeof init.body === "string" ? (JSON.parse(init.body) as unknown) : undefined;
          const s: Sent = { method: init.method ?? "GET", path: `${url.pathname}${url.search}`, body };
          api.sent.push(s);
          const res = api.answer(s);
          return new Response(typeof res.body === "string" ? res.body : JSON.stringify(res.body), { status: res.status, headers: { "content-type": "application/json" } });
        },
        ...extra,
      });
      return { code, stdout, stderr };
    },
  };
  beforeEach(async () => {
    api.dir = await mkdtemp(join(tmpdir(), `buildfleet-cli-${name}-`));
    api.sent = [];
    api.answer = () => json(500, {});
  });
  afterEach(async () => {
    await rm(api.dir, { recursive: true, force: true });
  });
  return api;
}
