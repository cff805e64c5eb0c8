import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readBuildLog } from "@buildfleet/shared";
import { useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";
import { TERMINAL_EVENTS, startStack, volumeRequest, type Stack } from "../test-support/stack.js";

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const MAIN = join(REPO_ROOT, "packages/worker/src/main.ts");

/** The worker's real entry point in a child process, as a Deployment would run it. */
async function spawnWorker(stack: Stack, dir: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; port: number }> {
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(kubeconfig, stack.sim.kubeconfigYaml);
  // One process (node with the tsx loader), not the tsx CLI wrapper: SIGKILL must hit the worker itself.
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", MAIN], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env["PATH"] ?? "",
      KUBECONFIG: kubeconfig,
      REDIS_URL: stack.config.redis.url,
      BUILDFLEET_PREFIX: stack.config.redis.prefix,
      BUILD_NAMESPACE: "buildfleet",
      WORKER_HTTP_HOST: "127.0.0.1",
      WORKER_HTTP_PORT: "0",
      LOCK_DURATION_MS: "5000",
      // Generous bounds: the suite runs on 2 busy cores, and these tests check outcomes, not speed.
      SHUTDOWN_TIMEOUT_MS: "20000",
      RESYNC_INTERVAL_MS: "2000",
      WORKER_CONCURRENCY: "100",
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${out.slice(-2000)}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = /"httpPort":(\d+).*"msg":"worker started"/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${String(code)}: ${out.slice(-2000)}`));
    });
  });
  // Keep draining output so the child never blocks on a full pipe; release the pipes when it exits.
  child.stdout?.resume();
  child.stderr?.resume();
  child.once("exit", () => {
    child.stdout?.destroy();
    child.stderr?.destroy();
  });
  return { child, port };
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

describe("worker: crashes, shutdown and a flaky API server", () => {
  const redis = useRedis();

  it("after SIGKILL with 50 builds in flight, a second worker finishes all with one Job and one terminal event each", async () => {
    const stack = await startStack(redis, {
      kubesim: { scenario: [{ match: { args: "long" }, attempts: [{ succeed: { afterMs: 800_000 } }] }] },
    });
    const dir = await mkdtemp(join(tmpdir(), "bf-kill-"));
    redis.track({ close: () => rm(dir, { recursive: true, force: true }) });
    const first = await spawnWorker(stack, dir);
    redis.track({ disconnect: () => first.child.kill("SIGKILL") });

    const builds = await Promise.all(
      Array.from({ length: 50 }, () => stack.submit(volumeRequest({ buildArgs: { MODE: "long" } }))),
    );
    for (const b of builds) await stack.waitForEvent(b.id, (e) => e.type === "build.running", 60_000);

    first.child.kill("SIGKILL");
    expect((await exitOf(first.child)).signal).toBe("SIGKILL");
    await stack.startWorker();

    for (const b of builds) {
      const done = await stack.waitForTerminal(b.id, 90_000);
      expect(done.state).toBe("succeeded");
      expect(await stack.jobsFor(b.id)).toHaveLength(1);
      const events = await stack.store.events(b.id);
      expect(events.filter((e) => TERMINAL_EVENTS.has(e.type))).toHaveLength(1);
      expect(events.filter((e) => e.type === "build.started")).toHaveLength(1);
    }
    expect(stack.sim.control.store.list("jobs", "buildfleet").items).toHaveLength(50);
  });

  it("exits 0 on SIGTERM and hands its builds back; the next worker adopts their Jobs", async () => {
    const stack = await startStack(redis, {
      kubesim: { scenario: [{ match: { args: "long" }, attempts: [{ succeed: { afterMs: 300_000 } }] }] },
    });
    const dir = await mkdtemp(join(tmpdir(), "bf-term-"));
    redis.track({ close: () => rm(dir, { recursive: true, force: true }) });
    const first = await spawnWorker(stack, dir);
    redis.track({ disconnect: () => first.child.kill("SIGKILL") });
    const build = await stack.submit(volumeRequest({ buildArgs: { MODE: "long" } }));
    await stack.waitForEvent(build.id, (e) => e.type === "build.running");

    await expect.poll(async () => (await fetch(`http://127.0.0.1:${first.port}/readyz`)).status, { timeout: 15_000 }).toBe(200);
    first.child.kill("SIGTERM");
    expect(await exitOf(first.child)).toEqual({ code: 0, signal: null });

    // Handed back: waiting in the queue again, its Job still in the cluster.
    // (a prioritized job waits in BullMQ's "prioritized" list rather than "wait").
    expect(["wait", "prioritized"]).toContain(await stack.queue.getJobState(build.id));
    expect(await stack.jobsFor(build.id)).toHaveLength(1);
    await stack.startWorker();
    const done = await stack.waitForTerminal(build.id);
    expect(done.state).toBe("succeeded");
    expect(await stack.jobsFor(build.id)).toHaveLength(1);
    expect((await stack.store.events(build.id)).map((e) => e.type)).toEqual([
      "build.queued",
      "build.started",
      "build.running",
      "build.succeeded",
    ]);
  });

  it("records a Job that finished while no worker was watching, exactly once", async () => {
    const stack = await startStack(redis);
    const first = await stack.startWorker();
    const build = await stack.submit(volumeRequest());
    await stack.waitForEvent(build.id, (e) => e.type === "build.started");
    await first.stop();
    // The Job finishes in the cluster while nobody watches.
    const [jobName] = await stack.jobsFor(build.id);
    const complete = (): boolean => {
      const job = stack.sim.control.store.get("jobs", "buildfleet", jobName ?? "");
      const conditions = (job?.["status"] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions;
      return conditions?.some((c) => c.type === "Complete" && c.status === "True") ?? false;
    };
    await expect.poll(complete, { timeout: 10_000 }).toBe(true);
    expect((await stack.store.get(build.id))?.state).not.toBe("succeeded");
    await stack.startWorker();
    const done = await stack.waitForTerminal(build.id);
    expect(done.state).toBe("succeeded");
    expect((await stack.store.events(build.id)).filter((e) => e.type === "build.succeeded")).toHaveLength(1);
  });

  it("converges when watches are dropped and expire (410 Gone) mid-build", async () => {
    const stack = await startStack(redis, {
      kubesim: { scenario: [{ match: { args: "watched" }, attempts: [{ succeed: { afterMs: 150_000 } }] }] },
    });
    await stack.startWorker();
    const builds = await Promise.all(
      Array.from({ length: 5 }, () => stack.submit(volumeRequest({ buildArgs: { MODE: "watched" } }))),
    );
    for (const b of builds) await stack.waitForEvent(b.id, (e) => e.type === "build.running");

    stack.sim.control.expireNextWatches(4);
    expect(stack.sim.control.dropWatches()).toBeGreaterThan(0);

    for (const b of builds) expect((await stack.waitForTerminal(b.id)).state).toBe("succeeded");
  });

  it("keeps capturing a build's log across an API-server restart, without repeating lines", async () => {
    const stack = await startStack(redis, {
      kubesim: { scenario: [{ match: { args: "logged" }, attempts: [{ succeed: { afterMs: 200_000 } }] }] },
    });
    await stack.startWorker();
    const build = await stack.submit(volumeRequest({ buildArgs: { MODE: "logged" } }));
    const lines = async (): Promise<string[]> =>
      (await readBuildLog(redis.connection(), stack.ks, build.id)).lines.map((l) => l.line);
    await expect.poll(async () => (await lines()).length, { timeout: 10_000 }).toBeGreaterThan(0);

    await stack.sim.control.restart({ keepState: true });

    expect((await stack.waitForTerminal(build.id)).state).toBe("succeeded");
    await expect.poll(async () => (await lines()).some((l) => l.includes("Pushed ")), { timeout: 10_000 }).toBe(true);
    // Exactly what the container printed: nothing repeated or lost across the reconnect.
    const [pod] = await stack.podsFor(build.id);
    const printed = stack.sim.control.controlPlane.logs.read("buildfleet", pod ?? "", "kaniko", {});
    expect(await lines()).toEqual(printed.split("\n").filter((l) => l !== ""));
  });

  it("rides out a burst of API-server 5xx on create", async () => {
    const stack = await startStack(redis);
    stack.sim.control.setFaults({ verbs: { create: { failNext: 2, code: 503, resources: ["jobs"] } } });
    await stack.startWorker();
    const build = await stack.submit(volumeRequest());

    const done = await stack.waitForTerminal(build.id, 30_000);

    expect(done.state).toBe("succeeded");
    expect(await stack.jobsFor(build.id)).toHaveLength(1);
    expect((await stack.queue.getJob(build.id))?.attemptsMade).toBeGreaterThanOrEqual(2);
  });
});
