import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeLoopbackPort, stopChild, waitForChildReady } from "@buildfleet/testkit";

/**
 * A redis-server the chaos suite may SIGKILL and start again on the same port
 * and directory: AOF on with `appendfsync everysec`, as the README recommends,
 * so a restart replays what was acknowledged before the kill.
 */
export interface RestartableRedis {
  readonly url: string;
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRestartableRedis(): Promise<RestartableRedis> {
  const port = await freeLoopbackPort();
  const dir = await mkdtemp(join(tmpdir(), "buildfleet-chaos-redis-"));
  let child: ChildProcess | undefined;
  const args = [
    "--port", String(port),
    "--bind", "127.0.0.1",
    "--dir", dir,
    "--appendonly", "yes",
    "--appendfsync", "everysec",
    "--save", "",
    "--daemonize", "no",
    "--maxmemory-policy", "noeviction",
  ];
  const start = async (): Promise<void> => {
    const c = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    child = c;
    await waitForChildReady(c, 15_000);
    // Keep draining its output so it never blocks on a full pipe.
    c.stdout?.resume();
    c.stderr?.resume();
  };
  const kill = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once("exit", resolve));
    c.kill("SIGKILL");
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    stop: async () => {
      if (child) await stopChild(child, 5_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
