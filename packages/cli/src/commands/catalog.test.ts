import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { json, useScriptedCli } from "../test-support/scripted-api.js";

/** The catalog and rebuild commands against a scripted fetch: what they send, what they print, how they exit. */

const api = useScriptedCli("catalog");


const image = (name: string, from: string) =>
  `apiVersion: buildfleet.dev/v1\nkind: Image\nmetadata: { name: ${name} }\nspec:\n  build:\n    context: { type: inline, files: {} }\n    dockerfile: { inline: "FROM ${from}" }\n    destinations: [registry.internal:5000/team/${name}:v1]\n`;

function wave(state: string, nodes: { id: string; level: number; state: string }[]) {
  const counts = { pending: 0, queued: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 } as Record<string, number>;
  for (const n of nodes) counts[n.state] = (counts[n.state] ?? 0) + 1;
  const levels: string[][] = [];
  for (const n of nodes) (levels[n.level] ??= []).push(n.id);
  return { id: "rw-abc12345", state, trigger: { base: "base" }, counts, levels, createdAt: new Date().toISOString(), nodes: nodes.map((n) => ({ ...n, attempt: 1, buildId: null, digest: null })) };
}


describe("apply -f", () => {
  it("applies every document of a multi-document file and prints created/configured/unchanged", async () => {
    await writeFile(join(api.dir, "images.yaml"), `${image("base", "busybox")}---\n${image("runtime", "registry.internal:5000/team/base:v1")}`);
    const results = ["created", "unchanged"];
    api.answer = (s) => json(200, { result: results.shift(), image: { metadata: { name: s.path.split("/").at(-1) } } });

    const run = await api.run(["apply", "-f", "images.yaml"]);

    expect(run).toMatchObject({ code: 0, stdout: "image/base created\nimage/runtime unchanged\n" });
    expect(api.sent.map((s) => `${s.method} ${s.path}`)).toEqual(["PUT /v1/images/base", "PUT /v1/images/runtime"]);
  });

  it("reads a directory's manifests in name order, and refuses another kind before sending anything", async () => {
    await mkdir(join(api.dir, "catalog"));
    await writeFile(join(api.dir, "catalog", "b.yaml"), image("b", "busybox"));
    await writeFile(join(api.dir, "catalog", "a.yml"), image("a", "busybox"));
    await writeFile(join(api.dir, "catalog", "notes.txt"), "not a manifest");
    api.answer = (s) => json(201, { result: "created", image: { metadata: { name: s.path.split("/").at(-1) } } });
    expect((await api.run(["apply", "-f", "catalog"])).stdout).toBe("image/a created\nimage/b created\n");

    await writeFile(join(api.dir, "deploy.yaml"), "kind: Deployment\n");
    api.sent = [];
    const run = await api.run(["apply", "-f", "deploy.yaml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('kind "Deployment" is not supported');
    expect(api.sent).toEqual([]);
  });
});

describe("images", () => {
  it("prints the graph as a tree", async () => {
    api.answer = () =>
      json(200, {
        nodes: [{ id: "t/app" }, { id: "t/base" }, { id: "t/runtime" }],
        edges: [
          { from: "t/base", to: "t/runtime" },
          { from: "t/runtime", to: "t/app" },
        ],
      });
    expect((await api.run(["images", "graph"])).stdout).toBe("t/base\n└── t/runtime\n    └── t/app\n");
  });
});

describe("rebuild", () => {
  it("sends one target as base and several as images, with the flags", async () => {
    api.answer = () => json(200, { plan: { levels: [["t/base"]], nodes: [{}], warnings: [], tree: "level 0\n└── t/base\n" } });
    const dry = await api.run(["rebuild", "base", "--dry-run", "--max-in-flight", "3", "--on-failure", "stop"]);
    api.answer = () => json(201, wave("running", [{ id: "t/a", level: 0, state: "queued" }]));
    await api.run(["rebuild", "a", "b"]);

    expect(dry).toMatchObject({ code: 0, stdout: "level 0\n└── t/base\n" });
    expect(api.sent.map((s) => s.body)).toEqual([
      { base: "base", maxInFlight: 3, onFailure: "stop", dryRun: true },
      { images: ["a", "b"], dryRun: false },
    ]);
  });

  it("--wait exits 1 when a node failed, and 0 when every node succeeded", async () => {
    const failed = wave("failed", [
      { id: "t/base", level: 0, state: "succeeded" },
      { id: "t/app", level: 1, state: "failed" },
    ]);
    api.answer = (s) => (s.method === "POST" ? json(201, wave("running", [{ id: "t/base", level: 0, state: "queued" }])) : json(200, failed));
    const bad = await api.run(["rebuild", "base", "--wait"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("level 1: 0/1 done, 0 running, 0 queued, 1 failed, 0 skipped");

    api.answer = (s) => (s.method === "POST" ? json(201, wave("running", [])) : json(200, wave("succeeded", [{ id: "t/base", level: 0, state: "succeeded" }])));
    const good = await api.run(["rebuild", "base", "--wait"]);
    expect(good).toMatchObject({ code: 0 });
    expect(good.stdout).toContain("rebuild/rw-abc12345 succeeded");
  });

  it("--wait shows each level's progress as it changes: plain lines off a terminal, bars on one", async () => {
    const polls = [
      wave("running", [
        { id: "t/base", level: 0, state: "running" },
        { id: "t/app", level: 1, state: "pending" },
      ]),
      wave("running", [
        { id: "t/base", level: 0, state: "succeeded" },
        { id: "t/app", level: 1, state: "queued" },
      ]),
      wave("succeeded", [
        { id: "t/base", level: 0, state: "succeeded" },
        { id: "t/app", level: 1, state: "succeeded" },
      ]),
    ];
    const script = () => {
      const left = [...polls];
      return (s: { method: string }) => (s.method === "POST" ? json(201, polls[0]) : json(200, left.length > 1 ? left.shift() : left[0]));
    };

    api.answer = script();
    const plain = await api.run(["rebuild", "base", "--wait"], { pollIntervalMs: 1 });
    expect(plain.code).toBe(0);
    expect(plain.stderr).toBe(
      [
        "rw-abc12345 level 0: 0/1 done, 1 running, 0 queued, 0 failed, 0 skipped",
        "rw-abc12345 level 1: 0/1 done, 0 running, 0 queued, 0 failed, 0 skipped",
        "rw-abc12345 level 0: 1/1 done, 0 running, 0 queued, 0 failed, 0 skipped",
        "rw-abc12345 level 1: 0/1 done, 0 running, 1 queued, 0 failed, 0 skipped",
        "rw-abc12345 level 1: 1/1 done, 0 running, 0 queued, 0 failed, 0 skipped",
        "",
      ].join("\n"),
    );
    expect(plain.stdout).toContain("rebuild/rw-abc12345 succeeded");

    api.answer = script();
    const tty = await api.run(["rebuild", "base", "--wait"], { pollIntervalMs: 1, stderrIsTTY: true });
    expect(tty.code).toBe(0);
    // Redrawn in place (cursor up over the three lines drawn before), ending with both levels full.
    expect(tty.stderr).toContain("\x1b[3F");
    expect(tty.stderr.split("\x1b[3F").at(-1)).toContain("level 1 [########################] 100%  1/1 done");
  });

  it("--wait exits 1 when the wave was cancelled, even with no node failed", async () => {
    const cancelled = wave("cancelled", [{ id: "t/base", level: 0, state: "cancelled" }]);
    api.answer = (s) => (s.method === "POST" ? json(201, wave("running", [{ id: "t/base", level: 0, state: "queued" }])) : json(200, cancelled));
    const run = await api.run(["rebuild", "base", "--wait"], { pollIntervalMs: 1 });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("level 0: 0/1 done, 0 running, 0 queued, 0 failed, 1 skipped");
  });

  it("refuses a bad --max-in-flight as a usage error", async () => {
    const run = await api.run(["rebuild", "base", "--max-in-flight", "0"]);
    expect(run.code).toBe(2);
    expect(api.sent).toEqual([]);
  });
});
