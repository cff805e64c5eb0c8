// IO adapter: runs one Kaniko-shaped container as a real `buildah build` +
// `buildah push`, at most `maxParallel` at once. Everything a build writes
// (volumes, context, storage) lives in one temporary directory removed at the end.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";
import { buildahCommands, SIGNATURE_POLICY, type Command } from "./build-plan.js";
import { parseKanikoArgs, type KanikoBuild } from "./kaniko-args.js";
import { hostPathFor, materialiseVolumes, type HostMount, type PodVolume, type VolumeMount, type VolumeSources } from "./pod-volumes.js";
import { DEFAULT_ALIASES, hostOf, pushReference, registriesConf, rewriteAuthFile, type RegistryRewrite } from "./registry-rewrite.js";

export const DEFAULT_MAX_PARALLEL_BUILDS = 2;
export const TERMINATION_LOG = "/dev/termination-log";
/** Where buildfleet mounts the docker config Secret (Kaniko's own default). */
export const DOCKER_CONFIG = "/kaniko/.docker/config.json";
const CONTEXT_FETCH_TIMEOUT_MS = 60_000;

export interface BuildahExecutorOptions {
  /** `127.0.0.1:PORT` (or an `http://` URL) of the registry docker.io and the aliases resolve to. */
  registry: string;
  aliases?: readonly string[];
  /** PersistentVolumeClaims are directories <volumeRoot>/<namespace>/<claim>. */
  volumeRoot: string;
  maxParallel?: number;
  buildahBin?: string;
  /** Parent of the per-build temporary directories (default the OS temp dir). */
  workDir?: string;
}

export interface RealBuild {
  namespace: string;
  podName: string;
  args: readonly string[];
  /** The container's env (only GIT_PULL_METHOD is read: Kaniko's switch from https to http for git contexts). */
  env?: Readonly<Record<string, string>>;
  volumes: readonly PodVolume[];
  mounts: readonly VolumeMount[];
  sources: Omit<VolumeSources, "claimDir">;
  /** Held back by --max-parallel-builds. */
  onQueued(message: string): void;
  onStart(): void;
  onLine(text: string): void;
  onExit(result: { exitCode: number; message?: string }): void;
}

export interface BuildahExecutor {
  /** Starts (or queues) the build; the returned function cancels it (kill, clean up, no onExit). */
  run(build: RealBuild): () => void;
  running(): number;
  queued(): number;
  /** Cancels everything and waits for the clean-ups. */
  stop(): Promise<void>;
}

class BuildStepError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "BuildStepError";
  }
}

interface Slot {
  build: RealBuild;
  cancelled: boolean;
  child?: ChildProcess;
  /** buildah's last output line: the real error when a step fails. */
  lastLine?: string;
}

/** The kubelet keeps at most 4096 bytes of a termination message. */
const MAX_TERMINATION_MESSAGE = 4096;

export function createBuildahExecutor(options: BuildahExecutorOptions): BuildahExecutor {
  const max = options.maxParallel ?? DEFAULT_MAX_PARALLEL_BUILDS;
  const registry = options.registry.replace(/^https?:\/\//, "").replace(/\/+$/, "");
  const rw: RegistryRewrite = { registry, aliases: options.aliases ?? DEFAULT_ALIASES };
  const bin = options.buildahBin ?? "buildah";
  const waiting: Slot[] = [];
  const active = new Set<Slot>();
  const done = new Set<Promise<void>>();

  function pump(): void {
    while (active.size < max && waiting.length > 0) {
      const slot = waiting.shift();
      if (slot === undefined || slot.cancelled) continue;
      active.add(slot);
      const p = execute(slot).finally(() => {
        active.delete(slot);
        done.delete(p);
        pump();
      });
      done.add(p);
    }
    waiting.forEach((slot) =>
      slot.build.onQueued(`waiting for a build slot: ${active.size} builds running (--max-parallel-builds=${max})`),
    );
  }

  async function execute(slot: Slot): Promise<void> {
    const { build } = slot;
    build.onStart();
    const dir = await mkdtemp(join(options.workDir ?? tmpdir(), "kubesim-build-"));
    let result: { exitCode: number; message?: string };
    try {
      const kaniko = parseKanikoArgs(build.args);
      const mounts = await materialiseVolumes(join(dir, "pod"), build.volumes, build.mounts, {
        ...build.sources,
        claimDir: (claim) => join(resolve(options.volumeRoot), build.namespace, claim),
      });
      const paths = await prepare(dir, kaniko, mounts, slot);
      for (const command of buildahCommands(kaniko, paths, rw)) {
        if (slot.cancelled) break;
        build.onLine(`kubesim-buildah: ${command.describe}`);
        const code = await runCommand(slot, command);
        if (slot.cancelled) break;
        if (code !== 0) {
          const why = slot.lastLine === undefined ? "" : `: ${slot.lastLine}`;
          throw new BuildStepError(`${command.describe} failed with exit code ${code}${why}`.slice(0, MAX_TERMINATION_MESSAGE), code);
        }
      }
      if (slot.cancelled) throw new BuildStepError("cancelled: the pod is gone");
      const digest = (await readFile(paths.digestFile, "utf8")).trim();
      for (const destination of kaniko.noPush ? [] : kaniko.destinations) build.onLine(`kubesim-buildah: Pushed ${destination}@${digest}`);
      result = { exitCode: 0, ...(kaniko.digestFile === TERMINATION_LOG ? { message: digest } : {}) };
      if (kaniko.digestFile !== undefined && kaniko.digestFile !== TERMINATION_LOG) {
        const target = hostPathFor(mounts, kaniko.digestFile);
        // A digest file outside every volume dies with the container, as in a real pod.
        if (target !== undefined) await writeFile(target, digest);
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (!slot.cancelled) build.onLine(`error building image: ${message}`);
      result = { exitCode: err instanceof BuildStepError ? err.exitCode : 1, message };
    }
    // The container has ended once buildah has; removing its storage is housekeeping
    // that still holds the build slot, but does not delay the pod's status.
    if (!slot.cancelled) build.onExit(result);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }

  async function prepare(dir: string, kaniko: KanikoBuild, mounts: HostMount[], slot: Slot) {
    let contextDir: string;
    const ctx = kaniko.context;
    switch (ctx.kind) {
      case "dir": {
        const host = hostPathFor(mounts, ctx.path);
        if (host === undefined) throw new BuildStepError(`--context=dir://${ctx.path} is not inside any volume mounted into the container`);
        contextDir = host;
        break;
      }
      case "tar":
        contextDir = join(dir, "context");
        await fetchTarball(ctx.url, contextDir, dir, slot);
        break;
      case "git":
        contextDir = join(dir, "context");
        await cloneGit(ctx, contextDir, slot, slot.build.env?.["GIT_PULL_METHOD"] === "http" ? "http" : "https");
        break;
    }
    if (kaniko.contextSubPath !== undefined) contextDir = inside(contextDir, kaniko.contextSubPath, "--context-sub-path");
    const dockerfile = kaniko.dockerfile.startsWith("/")
      ? hostPathFor(mounts, kaniko.dockerfile)
      : inside(contextDir, kaniko.dockerfile, "--dockerfile");
    if (dockerfile === undefined) throw new BuildStepError(`--dockerfile=${kaniko.dockerfile} is not inside any volume mounted into the container`);
    await stat(dockerfile).catch(() => {
      throw new BuildStepError(`--dockerfile=${kaniko.dockerfile}: no such file`);
    });
    await stat(contextDir).catch(() => {
      throw new BuildStepError(`build context ${kaniko.contextSubPath ?? ""} does not exist`);
    });

    let authFile: string | undefined;
    const dockerConfig = hostPathFor(mounts, DOCKER_CONFIG);
    if (dockerConfig !== undefined) {
      const text = await readFile(dockerConfig, "utf8").catch(() => undefined);
      if (text !== undefined) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new BuildStepError(`${DOCKER_CONFIG} is not JSON`);
        }
        authFile = join(dir, "auth.json");
        await writeFile(authFile, JSON.stringify(rewriteAuthFile(parsed, rw)), { mode: 0o600 });
      }
    }
    const registriesConfPath = join(dir, "registries.conf");
    const hosts = kaniko.destinations.map((d) => hostOf(pushReference(d, rw)));
    await writeFile(registriesConfPath, registriesConf(rw, hosts));
    const signaturePolicy = join(dir, "policy.json");
    await writeFile(signaturePolicy, SIGNATURE_POLICY);
    await mkdir(join(dir, "storage"), { recursive: true });
    return {
      storageRoot: join(dir, "storage", "root"),
      runRoot: join(dir, "storage", "run"),
      registriesConf: registriesConfPath,
      signaturePolicy,
      contextDir,
      dockerfile,
      ...(authFile !== undefined ? { authFile } : {}),
      digestFile: join(dir, "digest"),
      ociDir: join(dir, "oci"),
    };
  }

  function runCommand(slot: Slot, command: Command, binary = bin): Promise<number> {
    return new Promise((resolvePromise) => {
      // Own process group: a cancel kills buildah and whatever RUN started.
      const child = spawn(binary, command.args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
      slot.child = child;
      const forward = lineSplitter((line) => {
        slot.lastLine = line;
        if (!slot.cancelled) slot.build.onLine(line);
      });
      child.stdout.on("data", forward.push);
      child.stderr.on("data", forward.push);
      child.once("error", (err) => {
        slot.build.onLine(`kubesim-buildah: cannot run ${binary}: ${err.message}`);
        resolvePromise(127);
      });
      child.once("close", (code, signal) => {
        forward.flush();
        slot.child = undefined;
        resolvePromise(code ?? (signal !== null ? 137 : 1));
      });
    });
  }

  async function fetchTarball(url: string, into: string, dir: string, slot: Slot): Promise<void> {
    const res = await fetch(url, { signal: AbortSignal.timeout(CONTEXT_FETCH_TIMEOUT_MS) }).catch((err: unknown) => {
      throw new BuildStepError(`--context=${url}: ${err instanceof Error ? err.message : String(err)}`);
    });
    if (!res.ok) throw new BuildStepError(`--context=${url}: answered ${res.status}`);
    const file = join(dir, "context.tar.gz");
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    await mkdir(into, { recursive: true });
    const code = await runCommand(slot, { args: ["-xzf", file, "-C", into, "--no-same-owner"], describe: "unpack context" }, "tar");
    if (code !== 0) throw new BuildStepError(`--context=${url}: not a gzip'd tar (tar exit code ${code})`);
  }

  async function cloneGit(ctx: Extract<KanikoBuild["context"], { kind: "git" }>, into: string, slot: Slot, scheme: "http" | "https"): Promise<void> {
    // A repository path on this machine (git:///srv/repo.git), else cloned over http(s) as Kaniko does.
    const source = ctx.repository.startsWith("/") ? ctx.repository : `${scheme}://${ctx.repository}`;
    const git = (args: string[]) => runCommand(slot, { args, describe: "git" }, "git");
    if ((await git(["clone", "--quiet", "--no-checkout", source, into])) !== 0) throw new BuildStepError(`--context=git://${ctx.repository}: clone failed`);
    const ref = ctx.commit ?? ctx.ref;
    if (ref !== undefined && ctx.commit === undefined) {
      if ((await git(["-C", into, "fetch", "--quiet", "origin", ref])) !== 0) throw new BuildStepError(`--context: git ref ${ref} not found`);
    }
    if ((await git(["-C", into, "checkout", "--quiet", ctx.commit ?? (ref !== undefined ? "FETCH_HEAD" : "HEAD")])) !== 0) {
      throw new BuildStepError(`--context: git checkout of ${ref ?? "HEAD"} failed`);
    }
  }

  function cancel(slot: Slot): void {
    if (slot.cancelled) return;
    slot.cancelled = true;
    const index = waiting.indexOf(slot);
    if (index !== -1) waiting.splice(index, 1);
    const pid = slot.child?.pid;
    if (pid !== undefined) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }

  return {
    run(build) {
      const slot: Slot = { build, cancelled: false };
      waiting.push(slot);
      pump();
      return () => cancel(slot);
    },
    running: () => active.size,
    queued: () => waiting.length,
    async stop() {
      for (const slot of [...waiting, ...active]) cancel(slot);
      await Promise.all([...done]);
    },
  };
}

function inside(base: string, relative: string, flag: string): string {
  const target = resolve(base, relative);
  if (target !== base && !target.startsWith(base + sep)) throw new BuildStepError(`${flag}=${relative} leaves the build context`);
  return target;
}

function lineSplitter(onLine: (line: string) => void): { push: (chunk: Buffer) => void; flush: () => void } {
  let rest = "";
  return {
    push(chunk) {
      const text = rest + chunk.toString("utf8");
      const lines = text.split(/\r?\n/);
      rest = lines.pop() ?? "";
      for (const line of lines) if (line !== "") onLine(line);
    },
    flush() {
      if (rest !== "") onLine(rest);
      rest = "";
    },
  };
}
