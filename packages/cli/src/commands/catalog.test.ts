import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../program.js";

/** The catalog and rebuild commands against a scripted fetch: what they send, what they print, how they exit. */

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

const image = (name: string, from: string) =>
  `apiVersion: buildfleet.dev/v1\nkind: Image\nmetadata: { name: ${name} }\nspec:\n  build:\n    context: { type: inline, files: {} }\n    dockerfile: { inline: "FROM ${from}" }\n    destinations: [registry.internal:5000/team/${name}:v1]\n`;

function wave(state: string, nodes: { id: string; level: number; state: string }[]) {
  const counts = { pending: 0, queued: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 } as Record<string, number>;
  for (const n of nodes) counts[n.state] = (counts[n.state] ?? 0) + 1;
  const levels: string[][] = [];
  for (const n of nodes) (levels[n.level] ??= []).push(n.id);
  return { id: "rw-abc12345", state, trigger: { base: "base" }, counts, levels, createdAt: new Date().toISOString(), nodes: nodes.map((n) => ({ ...n, attempt: 1, buildId: null, digest: null })) };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "buildfleet-cli-catalog-"));
  sent = [];
  answer = () => json(500, {});
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("apply -f", () => {
  it("applies every document of a multi-document file and prints created/configured/unchanged", async () => {
    await writeFile(join(dir, "images.yaml"), `${image("base", "busybox")}---\n${image("runtime", "registry.internal:5000/team/base:v1")}`);
    const results = ["created", "unchanged"];
    answer = (s) => json(200, { result: results.shift(), image: { metadata: { name: s.path.split("/").at(-1) } } });

    const run = await cli(["apply", "-f", "images.yaml"]);

    expect(run).toMatchObject({ code: 0, stdout: "image/base created\nimage/runtime unchanged\n" });
    expect(sent.map((s) => `${s.method} ${s.path}`)).toEqual(["PUT /v1/images/base", "PUT /v1/images/runtime"]);
  });

  it("reads a directory's manifests in name order, and refuses another kind before sending anything", async () => {
    await mkdir(join(dir, "catalog"));
    await writeFile(join(dir, "catalog", "b.yaml"), image("b", "busybox"));
    await writeFile(join(dir, "catalog", "a.yml"), image("a", "busybox"));
    await writeFile(join(dir, "catalog", "notes.txt"), "not a manifest");
    answer = (s) => json(201, { result: "created", image: { metadata: { name: s.path.split("/").at(-1) } } });
    expect((await cli(["apply", "-f", "catalog"])).stdout).toBe("image/a created\nimage/b created\n");

    await writeFile(join(dir, "deploy.yaml"), "kind: Deployment\n");
    sent = [];
    const run = await cli(["apply", "-f", "deploy.yaml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('kind "Deployment" is not supported');
    expect(sent).toEqual([]);
  });
});

describe("images", () => {
  it("prints the graph as a tree", async () => {
    answer = () =>
      json(200, {
        nodes: [{ id: "t/app" }, { id: "t/base" }, { id: "t/runtime" }],
        edges: [
          { from: "t/base", to: "t/runtime" },
          { from: "t/runtime", to: "t/app" },
        ],
      });
    expect((await cli(["images", "graph"])).stdout).toBe("t/base\n└── t/runtime\n    └── t/app\n");
  });
});

describe("rebuild", () => {
  it("sends one target as base and several as images, with the flags", async () => {
    answer = () => json(200, { plan: { levels: [["t/base"]], nodes: [{}], warnings: [], tree: "level 0\n└── t/base\n" } });
    const dry = await cli(["rebuild", "base", "--dry-run", "--max-in-flight", "3", "--on-failure", "stop"]);
    answer = () => json(201, wave("running", [{ id: "t/a", level: 0, state: "queued" }]));
    await cli(["rebuild", "a", "b"]);

    expect(dry).toMatchObject({ code: 0, stdout: "level 0\n└── t/base\n" });
    expect(sent.map((s) => s.body)).toEqual([
      { base: "base", maxInFlight: 3, onFailure: "stop", dryRun: true },
      { images: ["a", "b"], dryRun: false },
    ]);
  });

  it("--wait exits 1 when a node failed, and 0 when every node succeeded", async () => {
    const failed = wave("failed", [
      { id: "t/base", level: 0, state: "succeeded" },
      { id: "t/app", level: 1, state: "failed" },
    ]);
    answer = (s) => (s.method === "POST" ? json(201, wave("running", [{ id: "t/base", level: 0, state: "queued" }])) : json(200, failed));
    const bad = await cli(["rebuild", "base", "--wait"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("level 1: 0/1 done, 0 running, 0 queued, 1 failed, 0 skipped");

    answer = (s) => (s.method === "POST" ? json(201, wave("running", [])) : json(200, wave("succeeded", [{ id: "t/base", level: 0, state: "succeeded" }])));
    const good = await cli(["rebuild", "base", "--wait"]);
    expect(good).toMatchObject({ code: 0 });
    expect(good.stdout).toContain("rebuild/rw-abc12345 succeeded");
  });

  it("refuses a bad --max-in-flight as a usage error", async () => {
    const run = await cli(["rebuild", "base", "--max-in-flight", "0"]);
    expect(run.code).toBe(2);
    expect(sent).toEqual([]);
  });
});
