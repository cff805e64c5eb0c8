import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { startKubeSim } from "@buildfleet/kubesim";
import { BuildStore, createWorkerRegistry, keyspace, submitBuild } from "@buildfleet/shared";
import { parseBuildRequest } from "@buildfleet/contract";
import { freeLoopbackPort, useRedis } from "@buildfleet/testkit";
import { describe, expect, it } from "vitest";

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const WORKER_MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

/** The worker's own main.ts in a child process; stop() sends SIGTERM and waits (SIGKILL after the bound). */
function startWorkerProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", WORKER_MAIN], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr = (stderr + c.toString("utf8")).slice(-4_000)));
  const exited = once(child, "exit");
  return {
    pid: child.pid ?? 0,
    stderr: () => stderr,
    async stop(timeoutMs: number): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The worker as a real process (its own main.ts): SIGTSTP makes it quiet —
 * it finishes its in-flight build and takes nothing new — an operator's
 * resume undoes it, and SIGTERM still stops it cleanly (its report leaves the
 * registry instead of turning `gone`).
 */
describe("worker process: SIGTSTP quiet, resume, SIGTERM", () => {
  const redis = useRedis();

  it("goes quiet on SIGTSTP, finishes its build, takes nothing new until resumed", async () => {
    const sim = await startKubeSim({ speed: 100, startDelayMs: 500, scenario: [{ match: { args: "slow" }, attempts: [{ succeed: { afterMs: 300_000 } }] }] });
    redis.track({ close: () => sim.close() });
    const dir = await mkdtemp(join(tmpdir(), "buildfleet-fleet-"));
    redis.track({ close: () => rm(dir, { recursive: true, force: true }) });
    const kubeconfig = join(dir, "kubeconfig");
    await writeFile(kubeconfig, sim.kubeconfigYaml, { mode: 0o600 });
    const port = await freeLoopbackPort();
    const worker = startWorkerProcess({
        REDIS_URL: redis.url,
        BUILDFLEET_PREFIX: redis.prefix,
        KUBECONFIG: kubeconfig,
        BUILD_NAMESPACE: "buildfleet",
        BUILDFLEET_TAG_POLICY: "allow-latest",
        WORKER_HTTP_HOST: "127.0.0.1",
        WORKER_HTTP_PORT: String(port),
        SHUTDOWN_TIMEOUT_MS: "5000",
        LOCK_DURATION_MS: "5000",
        LOG_LEVEL: "warn",
    });
    redis.track({ close: () => worker.stop(8_000) });

    const ks = keyspace(redis.prefix);
    const conn = redis.connection();
    const store = new BuildStore({ redis: conn, keyspace: ks, source: "/test" });
    const queue = redis.track(new Queue(ks.buildQueue, { connection: conn, prefix: ks.bullPrefix }));
    const registry = createWorkerRegistry(conn, ks);
    const submit = async (args: Record<string, string> = {}) => {
      const res = await submitBuild(
        { store, queue, tagPolicy: "allow-latest" },
        {
          tenant: "team-a",
          request: parseBuildRequest(
            {
              context: { type: "volume", claimName: "kaniko-workspace", path: "p" },
              destinations: ["registry.internal:5000/team/app:v1.0.0"],
              registryCredentials: { secretName: "regcred" },
              buildArgs: args,
            },
            { tagPolicy: "allow-latest" },
          ),
        },
      );
      if (!res.created) throw new Error("expected a new build");
      return res.record.id;
    };
    const stateOf = async (id: string) => (await store.get(id))?.state;

    await expect.poll(async () => (await registry.list(Date.now())).map((w) => [w.pid, w.state]), { timeout: 30_000 }).toEqual([[worker.pid, "running"]]);
    const id = (await registry.list(Date.now()))[0]?.id ?? "";
    const inFlight = await submit({ MODE: "slow" });
    await expect.poll(() => stateOf(inFlight), { timeout: 15_000 }).toBe("running");

    process.kill(worker.pid, "SIGTSTP");
    await expect.poll(async () => (await registry.get(id, Date.now()))?.state, { timeout: 5_000 }).toBe("quiet");
    const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { state?: string };
    expect(ready.state).toBe("quiet");
    const waiting = await submit();

    await expect.poll(() => stateOf(inFlight), { timeout: 20_000 }).toBe("succeeded");
    await expect.poll(async () => (await registry.get(id, Date.now()))?.inFlight, { timeout: 10_000 }).toBe(0);
    expect(await stateOf(waiting)).toBe("queued");
    expect(sim.control.store.list("jobs", "buildfleet", { labelSelector: `buildfleet.dev/build-id=${waiting}` }).items).toEqual([]);

    await registry.setWanted(id, "running");
    await expect.poll(() => stateOf(waiting), { timeout: 20_000 }).toBe("succeeded");

    await worker.stop(8_000);
    expect(await registry.get(id, Date.now())).toBeUndefined();
  });
});
