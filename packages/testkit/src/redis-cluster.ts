import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freeLoopbackPort, stopChild, waitForChildReady } from "./redis-server.js";

const run = promisify(execFile);

export interface TestRedisCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3` — the form REDIS_URL takes for a cluster. */
  readonly url: string;
  readonly ports: readonly number[];
  /** Stops every node and removes their directories. Idempotent. */
  stop(): Promise<void>;
}

export interface StartRedisClusterOptions {
  /** Masters (default 3, the fewest `redis-cli --cluster create` accepts). */
  masters?: number;
  redisServerBin?: string;
  redisCliBin?: string;
  /** Bound on the whole start-up (default 30 s). */
  timeoutMs?: number;
}

/**
 * A real Redis Cluster on loopback: `masters` redis-server processes in
 * cluster mode (each with its own data port and bus port, AOF on), joined by
 * `redis-cli --cluster create` with no replicas, ready when every node reports
 * `cluster_state:ok`. Needs Debian's redis-server (redis-cli comes with it).
 */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<TestRedisCluster> {
  const masters = options.masters ?? 3;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const bin = options.redisServerBin ?? "redis-server";
  const cli = options.redisCliBin ?? "redis-cli";
  const deadline = Date.now() + timeoutMs;
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  const ports: number[] = [];
  const stop = once(async () => {
    await Promise.all(children.map((c) => stopChild(c, 5_000)));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freeLoopbackPort();
      const busPort = await freeLoopbackPort();
      const dir = await mkdtemp(join(tmpdir(), "buildfleet-redis-cluster-"));
      dirs.push(dir);
      const child = spawn(
        bin,
        [
          "--port", String(port),
          "--cluster-port", String(busPort),
          "--bind", "127.0.0.1",
          "--dir", dir,
          "--cluster-enabled", "yes",
          "--cluster-config-file", join(dir, "nodes.conf"),
          "--cluster-node-timeout", "5000",
          "--appendonly", "yes",
          "--save", "",
          "--daemonize", "no",
          "--maxmemory-policy", "noeviction",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      children.push(child);
      ports.push(port);
      await waitForChildReady(child, Math.max(1_000, deadline - Date.now()));
    }
    await run(cli, ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"], {
      timeout: Math.max(1_000, deadline - Date.now()),
    });
    for (const port of ports) await waitClusterOk(cli, port, deadline);
    return { url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(",")}`, ports, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitClusterOk(cli: string, port: number, deadline: number): Promise<void> {
  let last = "";
  while (Date.now() < deadline) {
    const { stdout } = await run(cli, ["-p", String(port), "cluster", "info"], { timeout: 5_000 });
    last = stdout;
    if (/cluster_state:ok/.test(stdout)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Redis Cluster node ${port} not ok before the deadline: ${last.split("\n")[0] ?? ""}`);
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
