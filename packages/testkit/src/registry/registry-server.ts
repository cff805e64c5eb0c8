// A real OCI distribution registry for tests and `pnpm dev`: REGISTRY_URL, else
// Debian's docker-registry (CNCF distribution 2.8) on a free loopback port,
// else a testcontainers registry:2.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { freeLoopbackPort } from "../redis-server.js";

export type RegistrySource = "env" | "local" | "container";

export interface RegistryUser {
  username: string;
  password: string;
}

export interface TestRegistry {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT`: the host part image references use. */
  readonly host: string;
  readonly source: RegistrySource;
  /** Users the registry accepts (empty: no authentication). */
  readonly users: readonly RegistryUser[];
  /** Stops what the harness started (nothing for REGISTRY_URL). Idempotent. */
  stop(): Promise<void>;
}

export interface StartRegistryOptions {
  env?: NodeJS.ProcessEnv;
  /** docker-registry binary (default /usr/bin/docker-registry, else PATH). */
  registryBin?: string;
  tryContainer?: boolean;
  /** Require these users (htpasswd with bcrypt). Ignored for REGISTRY_URL, which is used as it is. */
  users?: readonly RegistryUser[];
  /** Ignore REGISTRY_URL (a test that needs its own, e.g. one with authentication). */
  ignoreEnv?: boolean;
  startTimeoutMs?: number;
}

export class NoRegistryError extends Error {
  readonly code = "TEST_REGISTRY_UNAVAILABLE";
  constructor(reasons: string[]) {
    super(
      [
        "No OCI registry for the real-build tests. Tried, in order:",
        ...reasons.map((r, i) => `  ${i + 1}. ${r}`),
        "Fix one of them: set REGISTRY_URL=http://host:port to use a running registry,",
        "or install Debian's registry (apt-get install -y docker-registry),",
        "or make a container engine reachable for testcontainers (registry:2).",
      ].join("\n"),
    );
    this.name = "NoRegistryError";
  }
}

export const DEFAULT_REGISTRY_BIN = "/usr/bin/docker-registry";

export async function startRegistry(options: StartRegistryOptions = {}): Promise<TestRegistry> {
  const env = options.env ?? process.env;
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  const users = options.users ?? [];
  const reasons: string[] = [];

  const fromEnv = options.ignoreEnv === true ? undefined : env["REGISTRY_URL"];
  if (fromEnv) {
    const url = fromEnv.replace(/\/+$/, "");
    await waitForRegistry(url, timeoutMs);
    return { url, host: new URL(url).host, source: "env", users: [], stop: async () => {} };
  }
  reasons.push(options.ignoreEnv === true ? "REGISTRY_URL: ignored (this registry needs its own settings)" : "REGISTRY_URL: not set");

  try {
    return await startLocalRegistry(options.registryBin ?? DEFAULT_REGISTRY_BIN, users, timeoutMs);
  } catch (err) {
    reasons.push(`docker-registry (${options.registryBin ?? DEFAULT_REGISTRY_BIN}): ${describe(err)}`);
  }
  if (options.tryContainer ?? true) {
    try {
      return await startContainerRegistry(users, timeoutMs);
    } catch (err) {
      reasons.push(`testcontainers registry:2: ${describe(err)}`);
    }
  } else {
    reasons.push("testcontainers registry:2: not tried (disabled)");
  }
  throw new NoRegistryError(reasons);
}

/** The registry's config.yml: filesystem storage, deletes enabled, loopback only. */
export function registryConfigYaml(opts: { rootDir: string; addr: string; htpasswdPath?: string }): string {
  const lines = [
    "version: 0.1",
    "log:",
    "  level: warn",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${JSON.stringify(opts.rootDir)}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: ${JSON.stringify(opts.addr)}`,
  ];
  if (opts.htpasswdPath !== undefined) {
    lines.push("auth:", "  htpasswd:", "    realm: buildfleet-test", `    path: ${JSON.stringify(opts.htpasswdPath)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** htpasswd lines with bcrypt hashes, the only kind docker-registry accepts. */
export function htpasswd(users: readonly RegistryUser[]): string {
  return users.map((u) => `${u.username}:${bcrypt.hashSync(u.password, 8)}\n`).join("");
}

async function startLocalRegistry(bin: string, users: readonly RegistryUser[], timeoutMs: number): Promise<TestRegistry> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeLoopbackPort();
    const dir = await mkdtemp(join(tmpdir(), "buildfleet-registry-"));
    const htpasswdPath = users.length > 0 ? join(dir, "htpasswd") : undefined;
    if (htpasswdPath !== undefined) await writeFile(htpasswdPath, htpasswd(users), { mode: 0o600 });
    const configPath = join(dir, "config.yml");
    await writeFile(
      configPath,
      registryConfigYaml({ rootDir: join(dir, "data"), addr: `127.0.0.1:${port}`, ...(htpasswdPath ? { htpasswdPath } : {}) }),
    );
    const child = spawn(bin, ["serve", configPath], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-2000)));
    child.stderr.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-2000)));
    const cleanup = async (): Promise<void> => {
      await stopChild(child, 5_000);
      await rm(dir, { recursive: true, force: true });
    };
    try {
      const url = `http://127.0.0.1:${port}`;
      await Promise.race([waitForRegistry(url, timeoutMs), exitOf(child).then((why) => Promise.reject(new Error(`${why}: ${output.slice(-300)}`)))]);
      return { url, host: `127.0.0.1:${port}`, source: "local", users: [...users], stop: once(cleanup) };
    } catch (err) {
      lastError = err;
      await cleanup();
      if (isNotFound(err)) break;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

async function startContainerRegistry(users: readonly RegistryUser[], timeoutMs: number): Promise<TestRegistry> {
  const { GenericContainer, Wait } = await import("testcontainers");
  let container = new GenericContainer("registry:2")
    .withEnvironment({ REGISTRY_STORAGE_DELETE_ENABLED: "true" })
    .withExposedPorts(5000)
    .withWaitStrategy(Wait.forHttp("/v2/", 5000).forStatusCodeMatching((s) => s === 200 || s === 401))
    .withStartupTimeout(timeoutMs);
  if (users.length > 0) {
    container = container
      .withCopyContentToContainer([{ content: htpasswd(users), target: "/auth/htpasswd" }])
      .withEnvironment({
        REGISTRY_AUTH: "htpasswd",
        REGISTRY_AUTH_HTPASSWD_REALM: "buildfleet-test",
        REGISTRY_AUTH_HTPASSWD_PATH: "/auth/htpasswd",
      });
  }
  const started = await container.start();
  const host = `${started.getHost()}:${started.getMappedPort(5000)}`;
  return {
    url: `http://${host}`,
    host,
    source: "container",
    users: [...users],
    stop: once(async () => {
      await started.stop();
    }),
  };
}

/** Polls GET /v2/ until the registry answers 200 (open) or 401 (authentication on). */
export async function waitForRegistry(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) return;
      last = `GET /v2/ answered ${res.status}`;
    } catch (err) {
      last = describe(err);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`registry at ${url} not ready after ${timeoutMs} ms (${last})`);
}

function exitOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolve(`exited with code ${String(code)}`));
  });
}

async function stopChild(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}

function isNotFound(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "ENOENT";
}

function describe(err: unknown): string {
  if (isNotFound(err)) return "binary not found";
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0] ?? message;
}
