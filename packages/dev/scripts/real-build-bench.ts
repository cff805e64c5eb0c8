/**
 * Real-build benchmark (prints figures; asserts nothing).
 *
 *   pnpm exec tsx --conditions=source packages/dev/scripts/real-build-bench.ts [--builds 6]
 *
 * Baseline, measured in the same run on the same registry: a bare
 * `buildah build && buildah push` of the same Dockerfile, with the same storage
 * settings the executor uses (vfs, chroot, a fresh storage root per build).
 * Then buildfleet: submit → build.succeeded through API + worker + kubesim
 * --executor=buildah, one build at a time (the overhead ratio, target ≤ 1.25×),
 * and throughput with --max-parallel-builds 1 and 2.
 * Every loop is bounded in count and in time; everything listens on 127.0.0.1.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { promisify } from "node:util";
import { startLocalStack } from "@buildfleet/dev";
import { BuildfleetClient } from "@buildfleet/sdk";
import { scriptArgs, seedBusybox, startRedis, startRegistry, type TestRegistry, uniquePrefix } from "@buildfleet/testkit";

const run = promisify(execFile);
const { values } = parseArgs({ args: scriptArgs(), options: { builds: { type: "string", default: "6" } } });
const BUILDS = Math.max(1, Math.min(50, Number(values.builds)));
const PHASE_LIMIT_MS = 300_000;

const dockerfile = (i: number) => `FROM busybox\nRUN echo build-${i}-$(date +%s%N) > /stamp && ls /bin | wc -l > /applets\nCOPY note.txt /note.txt\n`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? NaN;
}

async function bareBuildah(registry: TestRegistry, i: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "bench-bare-"));
  try {
    await writeFile(join(dir, "Dockerfile"), dockerfile(i));
    await writeFile(join(dir, "note.txt"), "bench\n");
    await writeFile(join(dir, "registries.conf"), `unqualified-search-registries = ["docker.io"]\n[[registry]]\nprefix = "docker.io"\nlocation = "${registry.host}"\ninsecure = true\n`);
    await writeFile(join(dir, "policy.json"), JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
    const g = ["--storage-driver", "vfs", "--root", join(dir, "root"), "--runroot", join(dir, "run"), "--registries-conf", join(dir, "registries.conf")];
    const start = performance.now();
    await run("buildah", [...g, "build", "--isolation", "chroot", "--signature-policy", join(dir, "policy.json"), "--format", "oci", "-f", join(dir, "Dockerfile"), "-t", "localhost/bench:latest", dir], { maxBuffer: 1 << 24 });
    await run("buildah", [...g, "push", "--signature-policy", join(dir, "policy.json"), "--tls-verify=false", "--digestfile", join(dir, "digest"), "localhost/bench:latest", `docker://${registry.host}/bench/bare:b${i + 1}`], { maxBuffer: 1 << 24 });
    return performance.now() - start;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const request = (tag: string, i: number) => ({
  context: { type: "inline", files: { Dockerfile: dockerfile(i), "note.txt": "bench\n" } },
  dockerfile: { path: "Dockerfile" },
  destinations: [`registry.internal:5000/bench/fleet:${tag}`],
  retries: 0,
});

const redis = await startRedis();
const registry = await startRegistry();
try {
  await seedBusybox(registry);
  console.log(`registry ${registry.url} (${registry.source}); ${BUILDS} builds per phase`);

  await bareBuildah(registry, -1); // warm-up: page cache, first registry blobs
  const bare: number[] = [];
  for (const parallel of [1, 2]) {
    const stateDir = await mkdtemp(join(tmpdir(), "bench-fleet-"));
    await mkdir(join(stateDir, "builds"));
    const stack = await startLocalStack({
      redisUrl: redis.url,
      prefix: uniquePrefix(),
      stateDir,
      writeEnvFile: false,
      logLevel: "silent",
      realBuilds: { registry, maxParallel: parallel, volumeRoot: join(stateDir, "volumes"), workDir: join(stateDir, "builds") },
    });
    try {
      const client = new BuildfleetClient({ baseUrl: stack.url, token: stack.token });
      const once = async (tag: string, i: number): Promise<number> => {
        const start = performance.now();
        const { id } = await client.submit(request(tag, i));
        await client.waitFor(id, { timeout: PHASE_LIMIT_MS });
        return performance.now() - start;
      };
      await once(`warm-${parallel}`, -1);
      if (parallel === 1) {
        // Interleaved, so load from other processes on this machine hits both alike.
        const fleet: number[] = [];
        for (let i = 0; i < BUILDS; i++) {
          bare.push(await bareBuildah(registry, i));
          fleet.push(await once(`seq-${i}`, i));
        }
        const b = median(bare);
        const f = median(fleet);
        console.log("\n## One build at a time (median ms)");
        console.log(`bare buildah build && push : ${b.toFixed(0)} ms`);
        console.log(`buildfleet submit → succeeded: ${f.toFixed(0)} ms`);
        console.log(`overhead ratio               : ${(f / b).toFixed(2)}× (target ≤ 1.25×)`);
      }
      const count = BUILDS * 2;
      const start = performance.now();
      await Promise.all(Array.from({ length: count }, (_, i) => once(`p${parallel}-${i}`, 1000 * parallel + i)));
      const seconds = (performance.now() - start) / 1000;
      console.log(`\n## Throughput, --max-parallel-builds ${parallel}: ${count} builds submitted at once`);
      console.log(`${(count / seconds).toFixed(2)} builds/s (${seconds.toFixed(1)} s); bare sequential buildah: ${(1000 / median(bare)).toFixed(2)} builds/s`);
      // Per-build storage is removed after the pod ends; give the last clean-ups a moment (bounded).
      let left: string[] = [];
      for (let i = 0; i < 50; i++) {
        left = await readdir(join(stateDir, "builds"));
        if (left.length === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      console.log(`per-build directories left behind: ${left.length}`);
    } finally {
      await stack.stop();
      await rm(stateDir, { recursive: true, force: true });
    }
  }
} finally {
  await registry.stop();
  await redis.stop();
}
