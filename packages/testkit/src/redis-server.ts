import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

/** How the harness got its Redis. */
export type RedisSource = "env" | "local" | "container";

export interface TestRedis {
  readonly url: string;
  readonly source: RedisSource;
  /** Stops what the harness started (nothing for REDIS_URL). Idempotent. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Environment to read REDIS_URL from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** redis-server binary name or path (default: "redis-server" from PATH). */
  redisServerBin?: string;
  /** Whether to try testcontainers when no local binary exists (default true). */
  tryContainer?: boolean;
  /** Bound on each start-up attempt (default 15 s). */
  startTimeoutMs?: number;
}

/** Thrown when no way to get a Redis worked; the message names all three. */
export class NoRedisError extends Error {
  readonly code = "TEST_REDIS_UNAVAILABLE";
  constructor(reasons: string[]) {
    super(
      [
        "No Redis for the integration tests. Tried, in order:",
        ...reasons.map((r, i) => `  ${i + 1}. ${r}`),
        "Fix one of them: set REDIS_URL=redis://host:port to use a running Redis,",
        "or install redis-server (Debian: apt-get install -y redis-server),",
        "or make a container engine reachable for testcontainers (Docker/Podman).",
      ].join("\n"),
    );
    this.name = "NoRedisError";
  }
}

/**
 * Gets a real Redis: REDIS_URL if set; else a private `redis-server` on a free
 * loopback port (temporary dir, AOF on); else a testcontainers Redis.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  const env = options.env ?? process.env;
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  const reasons: string[] = [];

  const fromEnv = env["REDIS_URL"];
  if (fromEnv) {
    await ping(fromEnv, timeoutMs);
    return { url: fromEnv, source: "env", stop: async () => {} };
  }
  reasons.push("REDIS_URL: not set");

  try {
    return await startLocalRedisServer(options.redisServerBin ?? "redis-server", timeoutMs);
  } catch (err) {
    reasons.push(`redis-server on PATH: ${describe(err)}`);
  }

  if (options.tryContainer ?? true) {
    try {
      return await startContainerRedis(timeoutMs);
    } catch (err) {
      reasons.push(`testcontainers: ${describe(err)}`);
    }
  } else {
    reasons.push("testcontainers: not tried (disabled)");
  }
  throw new NoRedisError(reasons);
}

async function startLocalRedisServer(bin: string, timeoutMs: number): Promise<TestRedis> {
  // A port picked by the OS can be taken between probe and bind: retry a few times.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeLoopbackPort();
    const dir = await mkdtemp(join(tmpdir(), "buildfleet-redis-"));
    const child = spawn(
      bin,
      [
        "--port", String(port),
        "--bind", "127.0.0.1",
        "--dir", dir,
        "--appendonly", "yes",
        "--save", "",
        "--daemonize", "no",
        "--protected-mode", "yes",
        "--maxmemory-policy", "noeviction",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      await waitForChildReady(child, timeoutMs);
      const url = `redis://127.0.0.1:${port}`;
      await ping(url, timeoutMs);
      return {
        url,
        source: "local",
        stop: once(async () => {
          await stopChild(child, 5_000);
          await rm(dir, { recursive: true, force: true });
        }),
      };
    } catch (err) {
      lastError = err;
      await stopChild(child, 2_000);
      await rm(dir, { recursive: true, force: true });
      if (isSpawnNotFound(err)) break;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

async function startContainerRedis(timeoutMs: number): Promise<TestRedis> {
  // Imported lazily: testcontainers probes for a container engine on load.
  const { GenericContainer, Wait } = await import("testcontainers");
  const container = await new GenericContainer("redis:7-alpine")
    .withCommand(["redis-server", "--appendonly", "yes", "--save", ""])
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage("Ready to accept connections"))
    .withStartupTimeout(timeoutMs)
    .start();
  const url = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
  return {
    url,
    source: "container",
    stop: once(async () => {
      await container.stop();
    }),
  };
}

export function waitForChildReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`not ready after ${timeoutMs} ms; output: ${output.slice(-500)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`exited with code ${String(code)}: ${output.slice(-500)}`));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      child.off("error", onError);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}

export async function stopChild(child: ChildProcess, timeoutMs: number): Promise<void> {
  child.stdout?.destroy();
  child.stderr?.destroy();
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

async function ping(url: string, timeoutMs: number): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // Failures surface through connect()/ping(); without a listener ioredis prints them.
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

/** A free TCP port on 127.0.0.1, chosen by the OS. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}

function isSpawnNotFound(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "ENOENT";
}

function describe(err: unknown): string {
  if (isSpawnNotFound(err)) return "binary not found";
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0] ?? message;
}
