import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BuildFailedError } from "@buildfleet/sdk";
import { BUILD_TIMEOUT_MS, REPO_ROOT, loadExamples, realCluster, rewriteRegistry, useE2eStack } from "./e2e-env.js";

/**
 * API + worker + kubesim (or a real cluster) + Redis, started as `pnpm dev`
 * starts them; the SDK and the CLI drive builds through it.
 */

const e2e = useE2eStack("stack");

const DIGEST = /^sha256:[0-9a-f]{64}$/;

describe(`end to end on ${realCluster ? "a real cluster (E2E_KUBECONFIG)" : "kubesim"}`, () => {
  it(
    "builds every example through to succeeded with a digest, with its events and log",
    async () => {
      const examples = loadExamples();
      expect(examples.length).toBeGreaterThanOrEqual(6);
      const submitted = await Promise.all(examples.map(async (e) => ({ ...e, summary: await e2e.client.submit(e.request) })));
      for (const s of submitted) expect(s.summary).toMatchObject({ state: "queued", idempotent: false });
      const results = await Promise.all(
        submitted.map(async (s) => ({ file: s.file, build: await e2e.client.waitFor(s.summary.id, { timeout: BUILD_TIMEOUT_MS }) })),
      );
      for (const { file, build } of results) {
        expect({ file, state: build.state, digest: DIGEST.test(build.digest ?? "") }).toEqual({ file, state: "succeeded", digest: true });
        const types = build.events.map((e) => e.type);
        expect(types[0]).toBe("build.queued");
        expect(types).toContain("build.started");
        expect(types.at(-1)).toBe("build.succeeded");
      }
      const first = results[0]!.build;
      const lines: string[] = [];
      for await (const line of e2e.client.logs(first.id)) lines.push(line);
      expect(lines.length).toBeGreaterThan(0);
      // A follow on a finished build ends by itself with the same lines.
      const followed: string[] = [];
      for await (const line of e2e.client.logs(first.id, { follow: true, signal: AbortSignal.timeout(20_000) })) followed.push(line);
      expect(followed).toEqual(lines);
      // Each line kept when it was written, on the record's clock (kubesim's sped-up kubelet
      // clock runs ahead: clamped to arrival), so --timestamps and --since mean what they say.
      const stamped: string[] = [];
      for await (const line of e2e.client.logs(first.id, { timestamps: true })) stamped.push(line);
      expect(stamped.map((l) => l.slice(l.indexOf(" ") + 1))).toEqual(lines);
      for (const l of stamped) {
        const at = Date.parse(l.slice(0, l.indexOf(" ")));
        expect(at).toBeGreaterThanOrEqual(Date.parse(first.createdAt) - 1_000);
        expect(at).toBeLessThanOrEqual(Date.now());
      }
      const recent: string[] = [];
      for await (const line of e2e.client.logs(first.id, { sinceSeconds: 3_600 })) recent.push(line);
      expect(recent).toEqual(lines);
      // The SSE stream replays the build's history from the start of the stream ("0-0"), in order, parsed by the SDK.
      const replayed: string[] = [];
      for await (const e of e2e.client.events({ buildId: first.id, since: "0-0", signal: AbortSignal.timeout(20_000) })) {
        expect(e.event.subject).toBe(first.id);
        replayed.push(e.type);
        if (replayed.length === first.events.length) break;
      }
      expect(replayed).toEqual(first.events.map((e) => e.type));
      const listed = await e2e.client.list({ state: "succeeded", limit: 50 });
      expect(listed.items.map((b) => b.id)).toEqual(expect.arrayContaining(results.map((r) => r.build.id)));
    },
    BUILD_TIMEOUT_MS * 2,
  );

  it.skipIf(realCluster)(
    "reports a scripted failure (kubesim rule; skipped on a real cluster) as a BuildFailedError with its reason",
    async () => {
      const { id } = await e2e.client.submit({
        context: { type: "inline", files: {} },
        dockerfile: { inline: "FROM busybox:latest" },
        destinations: [rewriteRegistry("registry.internal:5000/fail/busybox:v1")],
        retries: 1,
      });
      const err = await e2e.client.waitFor(id, { timeout: BUILD_TIMEOUT_MS }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BuildFailedError);
      const failed = err as BuildFailedError;
      expect(failed.reason).toBe("BackoffLimitExceeded");
      expect(failed.build).toMatchObject({ id, state: "failed" });
      expect(failed.build.attempts).toHaveLength(2);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    "the CLI's submit --wait exits 0 and prints the digest (child process)",
    async () => {
      const run = await runCli(["submit", "-f", "examples/busybox-mirror.yaml", "--wait", "--no-logs", ...destinationFlags()]);
      expect(run.stderr).toMatch(/succeeded/);
      expect(run).toMatchObject({ code: 0 });
      expect(run.stdout).toMatch(/^build\/\S+ succeeded\ndigest: sha256:[0-9a-f]{64}\n$/);
    },
    BUILD_TIMEOUT_MS,
  );

  it.skipIf(realCluster)(
    "the CLI's submit --wait exits 1 with the reason when the build fails (kubesim rule; skipped on a real cluster)",
    async () => {
      const run = await runCli([
        "submit",
        "--dockerfile-inline",
        "FROM busybox:latest",
        "-d",
        "registry.internal:5000/fail/busybox:v2",
        "--retries",
        "0",
        "--wait",
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/failed \(BackoffLimitExceeded\)/);
    },
    BUILD_TIMEOUT_MS,
  );
});

/** On a real cluster the example's destinations point at E2E_REGISTRY. */
function destinationFlags(): string[] {
  if (!realCluster) return [];
  return ["-d", rewriteRegistry("registry.internal:5000/mirror/busybox:1.37"), "-d", rewriteRegistry("registry.internal:5000/mirror/busybox:latest")];
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", "packages/cli/src/main.ts", ...args], {
      cwd: REPO_ROOT,
      // INIT_CWD unset: the CLI resolves -f against REPO_ROOT; no dev.env is read because the env is set.
      env: { PATH: process.env["PATH"] ?? "", BUILDFLEET_URL: e2e.stack.url, BUILDFLEET_TOKEN: e2e.stack.token },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), BUILD_TIMEOUT_MS - 5_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
