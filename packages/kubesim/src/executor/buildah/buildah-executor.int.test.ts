// Real builds in kubesim: pods whose container looks like Kaniko run buildah
// against a real registry; outcomes, digests and logs are the real ones.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestDigest, readImageConfig, readManifest, realBuildsSkipReason, seedBusybox, startRegistry, type TestRegistry } from "@buildfleet/testkit";
import { createControlPlane } from "../../controller/index.js";
import { createStore, type SimStore } from "../../store/index.js";
import type { ControlPlane } from "../../store/types.js";
import { waitFor } from "../../test-support/wait.js";
import { createBuildahExecutor, type BuildahExecutor } from "./buildah-executor.js";

const skip = realBuildsSkipReason();
if (skip !== undefined) console.warn(`[buildah executor tests] skipped: ${skip}`);
const NS = "default";
const run = promisify(execFile);

interface Terminated {
  exitCode: number;
  message?: string;
}

describe.skipIf(skip !== undefined)("kubesim --executor=buildah", () => {
  let registry: TestRegistry;
  let workDir: string;
  let volumeRoot: string;
  let store: SimStore;
  let cp: ControlPlane;
  let executor: BuildahExecutor;

  beforeAll(async () => {
    registry = await startRegistry({ ignoreEnv: true });
    await seedBusybox(registry);
    workDir = await mkdtemp(join(tmpdir(), "kubesim-exec-test-"));
    volumeRoot = join(workDir, "volumes");
    executor = createBuildahExecutor({ registry: registry.host, volumeRoot, maxParallel: 2, workDir });
    store = createStore({ speed: 1 });
    cp = createControlPlane(store, { startDelayMs: 10, executor });
    cp.start();
  }, 60_000);

  afterAll(async () => {
    cp?.stop();
    await executor?.stop();
    await registry?.stop();
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  });

  let n = 0;
  function pod(args: string[], extra: { volumes?: unknown[]; volumeMounts?: unknown[] } = {}): string {
    const name = `build-${++n}`;
    store.create("pods", NS, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name },
      spec: {
        restartPolicy: "Never",
        containers: [{ name: "kaniko", image: "gcr.io/kaniko-project/executor:v1.23.2", args, volumeMounts: extra.volumeMounts ?? [] }],
        volumes: extra.volumes ?? [],
      },
    });
    return name;
  }

  function inlineContext(name: string, files: Record<string, string>): { volumes: unknown[]; volumeMounts: unknown[] } {
    const keys = Object.entries(files).map(([path], i) => ({ key: `file-${i}`, path }));
    store.create("configmaps", NS, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name },
      data: Object.fromEntries(Object.values(files).map((content, i) => [`file-${i}`, content])),
    });
    return {
      volumes: [{ name: "context", configMap: { name, items: keys } }],
      volumeMounts: [{ name: "context", mountPath: "/workspace", readOnly: true }],
    };
  }

  function terminated(name: string): Promise<Terminated> {
    return waitFor(() => {
      const p = store.get("pods", NS, name);
      const status = p?.["status"] as { containerStatuses?: { state?: { terminated?: Terminated } }[] } | undefined;
      return status?.containerStatuses?.[0]?.state?.terminated;
    }, `pod ${name} to terminate`, 60_000);
  }

  function podStatus(name: string): { phase?: string; containerStatuses?: { state?: { waiting?: { message?: string } } }[] } | undefined {
    return store.get("pods", NS, name)?.["status"] as ReturnType<typeof podStatus>;
  }

  const log = (name: string) => cp.logs.read(NS, name, "kaniko", {});

  it("builds FROM busybox with a RUN step and reports the pushed manifest digest as the termination message", async () => {
    const ctx = inlineContext("ctx-ok", { Dockerfile: "FROM busybox\nRUN echo built-here > /built\nCOPY hello.txt /hello.txt\n", "hello.txt": "hi\n" });
    const name = pod(["--context=dir:///workspace", "--dockerfile=/workspace/Dockerfile", `--destination=registry.internal:5000/kubesim/ok:1`, "--digest-file=/dev/termination-log", "--push-retry=2", "--snapshot-mode=redo"], ctx);
    const state = await terminated(name);
    expect(state.exitCode).toBe(0);
    expect(state.message).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await manifestDigest(registry.url, "kubesim/ok", "1")).toBe(state.message);
    const base = await readManifest(registry.url, "library/busybox", "latest");
    const built = await readManifest(registry.url, "kubesim/ok", "1");
    expect(built.layers.slice(0, base.layers.length).map((l) => l.digest)).toEqual(base.layers.map((l) => l.digest));
    expect(log(name)).toContain("RUN echo built-here > /built");
    expect((store.get("pods", NS, name)?.["status"] as { phase?: string }).phase).toBe("Succeeded");
  });

  it("fails a pod whose RUN fails, with buildah's own error in the log", async () => {
    const ctx = inlineContext("ctx-fail", { Dockerfile: "FROM busybox\nRUN echo about-to-fail && exit 7\n" });
    const name = pod(["--context=dir:///workspace", "--dockerfile=/workspace/Dockerfile", "--destination=registry.internal:5000/kubesim/fail:1", "--digest-file=/dev/termination-log"], ctx);
    const state = await terminated(name);
    expect(state.exitCode).not.toBe(0);
    expect(log(name)).toContain("about-to-fail");
    expect(log(name)).toMatch(/exit status 7/);
    // The termination message carries buildah's own last line, for the failure reason.
    expect(state.message).toMatch(/buildah build .*failed with exit code \d+: .*exit status 7/);
    expect(await manifestDigest(registry.url, "kubesim/fail", "1")).toBeUndefined();
  });

  it("fails with a termination message naming a flag it cannot honour", async () => {
    const ctx = inlineContext("ctx-flag", { Dockerfile: "FROM busybox\n" });
    const name = pod(["--context=dir:///workspace", "--destination=registry.internal:5000/kubesim/flag:1", "--reproducible", "--digest-file=/dev/termination-log"], ctx);
    const state = await terminated(name);
    expect(state.exitCode).toBe(1);
    expect(state.message).toContain("--reproducible");
  });

  it("builds a PVC context with a sub-path, build args, a target stage and two destinations", async () => {
    const dir = join(volumeRoot, NS, "workspace-claim", "apps", "one");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "Dockerfile"), "FROM busybox AS base\nARG GREETING\nRUN echo \"$GREETING\" > /greeting\nFROM base AS final\nARG GREETING\nLABEL greeting=$GREETING stage=final\nRUN echo final > /final\nFROM base AS other\nRUN exit 3\n");
    const name = pod(
      [
        "--context=dir:///workspace/apps/one",
        "--dockerfile=/workspace/apps/one/Dockerfile",
        "--destination=registry.internal:5000/kubesim/pvc:a",
        "--destination=registry.internal:5000/kubesim/pvc:b",
        "--build-arg=GREETING=hello-arg",
        "--target=final",
        "--label=org.example.team=builders",
        "--digest-file=/dev/termination-log",
      ],
      {
        volumes: [{ name: "context", persistentVolumeClaim: { claimName: "workspace-claim", readOnly: true } }],
        volumeMounts: [{ name: "context", mountPath: "/workspace", readOnly: true }],
      },
    );
    const state = await terminated(name);
    expect(state.exitCode, log(name)).toBe(0);
    expect(await manifestDigest(registry.url, "kubesim/pvc", "a")).toBe(state.message);
    expect(await manifestDigest(registry.url, "kubesim/pvc", "b")).toBe(state.message);
    const config = (await readImageConfig(registry.url, "kubesim/pvc", "a")) as { config?: { Labels?: Record<string, string> } };
    expect(config.config?.Labels).toMatchObject({ greeting: "hello-arg", stage: "final", "org.example.team": "builders" });
    // The `other` stage (RUN exit 3) was never built: --target stopped at `final`.
    expect(log(name)).not.toContain("exit 3");
  });

  it("builds a tar.gz context served over loopback http, and a git context from a local repository", async () => {
    const src = join(workDir, "tar-src");
    await mkdir(src, { recursive: true });
    await writeFile(join(src, "Dockerfile"), "FROM busybox\nCOPY payload.txt /payload.txt\nRUN cat /payload.txt\n");
    await writeFile(join(src, "payload.txt"), "from-a-tarball\n");
    await run("tar", ["-czf", join(workDir, "ctx.tar.gz"), "-C", src, "."]);
    const server = createServer((_req, res) => {
      void readFile(join(workDir, "ctx.tar.gz")).then((body) => res.end(body));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as AddressInfo).port;
      const tarPod = pod([`--context=http://127.0.0.1:${port}/ctx.tar.gz`, "--dockerfile=Dockerfile", "--destination=registry.internal:5000/kubesim/tar:1", "--digest-file=/dev/termination-log"]);
      const state = await terminated(tarPod);
      expect(state.exitCode, log(tarPod)).toBe(0);
      expect(log(tarPod)).toContain("from-a-tarball");
      expect(await manifestDigest(registry.url, "kubesim/tar", "1")).toBe(state.message);
    } finally {
      server.close();
    }

    const repo = join(workDir, "repo");
    await mkdir(join(repo, "app"), { recursive: true });
    await writeFile(join(repo, "app", "Dockerfile"), "FROM busybox\nRUN echo from-git\n");
    const git = (...args: string[]) => run("git", ["-C", repo, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args]);
    await git("init", "-q", "-b", "main");
    await git("add", ".");
    await git("commit", "-q", "-m", "first");
    const gitPod = pod([`--context=git://${repo}#refs/heads/main`, "--context-sub-path=app", "--dockerfile=Dockerfile", "--destination=registry.internal:5000/kubesim/git:1", "--digest-file=/dev/termination-log"]);
    const gitState = await terminated(gitPod);
    expect(gitState.exitCode, log(gitPod)).toBe(0);
    expect(log(gitPod)).toContain("from-git");
    expect(await manifestDigest(registry.url, "kubesim/git", "1")).toBe(gitState.message);
  });

  it("with --no-push reports the built image's digest and pushes nothing", async () => {
    const ctx = inlineContext("ctx-nopush", { Dockerfile: "FROM busybox\nRUN echo local-only\n" });
    const name = pod(["--context=dir:///workspace", "--dockerfile=/workspace/Dockerfile", "--destination=registry.internal:5000/kubesim/nopush:1", "--no-push", "--digest-file=/dev/termination-log"], ctx);
    const state = await terminated(name);
    expect(state.exitCode, log(name)).toBe(0);
    expect(state.message).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await manifestDigest(registry.url, "kubesim/nopush", "1")).toBeUndefined();
  });

  it("holds builds beyond --max-parallel-builds Pending with the reason, then runs them", async () => {
    const names = [1, 2, 3].map((i) => {
      const ctx = inlineContext(`ctx-par-${i}`, { Dockerfile: `FROM busybox\nRUN sleep 2 && echo par-${i}\n` });
      return pod(["--context=dir:///workspace", "--dockerfile=/workspace/Dockerfile", `--destination=registry.internal:5000/kubesim/par:${i}`, "--digest-file=/dev/termination-log"], ctx);
    });
    const held = await waitFor(() => {
      const waiting = names.map((n) => podStatus(n)).find((s) => s?.containerStatuses?.[0]?.state?.waiting?.message?.includes("--max-parallel-builds=2"));
      return waiting;
    }, "a pod waiting for a build slot", 30_000);
    expect(held.phase).toBe("Pending");
    expect(executor.running()).toBe(2);
    for (const n of names) expect((await terminated(n)).exitCode).toBe(0);
  });

  it("kills the build when its pod is deleted and leaves nothing behind", async () => {
    const ctx = inlineContext("ctx-kill", { Dockerfile: "FROM busybox\nRUN echo started-long-step && sleep 60\n" });
    const name = pod(["--context=dir:///workspace", "--dockerfile=/workspace/Dockerfile", "--destination=registry.internal:5000/kubesim/kill:1", "--digest-file=/dev/termination-log"], ctx);
    await waitFor(() => {
      try {
        return log(name).includes("started-long-step");
      } catch {
        return false;
      }
    }, "the long step to start", 30_000);
    store.delete("pods", NS, name);
    await waitFor(() => executor.running() === 0, "the build to be killed", 15_000);
    expect(await manifestDigest(registry.url, "kubesim/kill", "1")).toBeUndefined();
  });

  it("still applies a failure scenario rule on top: an OOMKilled rule wins over the real build", async () => {
    cp.setScenario({ rules: [{ match: { args: "kubesim/oom" }, attempts: [{ oomKilled: { afterMs: 50 } }] }] });
    try {
      const ctx = inlineContext("ctx-oom", { Dockerfile: "FROM busybox\n" });
      const name = pod(["--context=dir:///workspace", "--dockerfile=/workspace/Dockerfile", "--destination=registry.internal:5000/kubesim/oom:1", "--digest-file=/dev/termination-log"], ctx);
      const state = (await terminated(name)) as Terminated & { reason?: string };
      expect(state).toMatchObject({ exitCode: 137, reason: "OOMKilled" });
      expect(await manifestDigest(registry.url, "kubesim/oom", "1")).toBeUndefined();
    } finally {
      cp.clearScenario();
    }
  });

  it("removes every per-build directory when the builds end", async () => {
    await waitFor(() => executor.running() === 0 && executor.queued() === 0, "builds to end", 30_000);
    const left = (await readdir(workDir)).filter((f) => f.startsWith("kubesim-build-"));
    expect(left).toEqual([]);
  });
});
