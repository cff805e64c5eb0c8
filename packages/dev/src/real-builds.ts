// Real builds for the local stack: a registry (REGISTRY_URL, Debian's
// docker-registry or registry:2), seeded with busybox, that kubesim's buildah
// executor builds against; plus the objects examples expect in the cluster.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BuildahExecutorOptions, KubeSim } from "@buildfleet/kubesim";
import { missingBuildTools, seedBusybox, startRegistry, type RegistryUser, type SeededImage, type TestRegistry } from "@buildfleet/testkit";
import { DEV_CLAIMS, DEV_REGISTRIES, DEV_SECRETS, devClaim } from "./dev-settings.js";

export interface RealBuildsOptions {
  /** Use this registry instead of REGISTRY_URL / a private one. */
  registry?: TestRegistry;
  /** PersistentVolumeClaims live in <volumeRoot>/<namespace>/<claim> (default: a temporary directory). */
  volumeRoot?: string;
  maxParallel?: number;
  /** Parent of the per-build temporary directories (default the OS temp dir). */
  workDir?: string;
  /** Credentials written into the examples' `regcred` Secret (default: none needed, a placeholder). */
  credentials?: RegistryUser;
}

export interface RealBuilds {
  registry: TestRegistry;
  seeded: SeededImage;
  volumeRoot: string;
  kubesim: BuildahExecutorOptions;
  /** Creates what the examples mount: the regcred Secret, the claims and their directories. */
  prepareCluster(sim: KubeSim, namespace: string): Promise<void>;
  stop(): Promise<void>;
}

/** Why real builds cannot run here (a sentence), or undefined when they can. */
export function realBuildsUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return missingBuildTools(env);
}

export async function startRealBuilds(options: RealBuildsOptions = {}): Promise<RealBuilds> {
  const registry = options.registry ?? (await startRegistry());
  const owned = options.registry === undefined;
  const tempRoot = options.volumeRoot === undefined ? await mkdtemp(join(tmpdir(), "buildfleet-volumes-")) : undefined;
  const volumeRoot = options.volumeRoot ?? tempRoot ?? "";
  try {
    const seeded = await seedBusybox(registry, options.credentials ? { auth: options.credentials } : {});
    const kubesim: BuildahExecutorOptions = {
      registry: registry.host,
      aliases: DEV_REGISTRIES,
      volumeRoot,
      ...(options.maxParallel !== undefined ? { maxParallel: options.maxParallel } : {}),
      ...(options.workDir !== undefined ? { workDir: options.workDir } : {}),
    };
    return {
      registry,
      seeded,
      volumeRoot,
      kubesim,
      async prepareCluster(sim, namespace) {
        const user = options.credentials ?? { username: "buildfleet", password: "unused-without-htpasswd" };
        const auth = { auth: Buffer.from(`${user.username}:${user.password}`).toString("base64") };
        const dockerconfig = JSON.stringify({ auths: Object.fromEntries([...DEV_REGISTRIES, registry.host].map((h) => [h, auth])) });
        for (const name of DEV_SECRETS) {
          sim.control.store.create("secrets", namespace, {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name },
            type: "kubernetes.io/dockerconfigjson",
            data: { ".dockerconfigjson": Buffer.from(dockerconfig).toString("base64") },
          });
        }
        for (const claim of DEV_CLAIMS) {
          await mkdir(join(volumeRoot, namespace, claim), { recursive: true });
          sim.control.store.create("persistentvolumeclaims", namespace, devClaim(claim));
        }
      },
      async stop() {
        if (owned) await registry.stop();
        if (tempRoot !== undefined) await rm(tempRoot, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (owned) await registry.stop();
    if (tempRoot !== undefined) await rm(tempRoot, { recursive: true, force: true });
    throw err;
  }
}
