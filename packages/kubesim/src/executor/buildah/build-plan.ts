// PURE: the buildah command lines for one Kaniko build. What each Kaniko flag becomes:
//   --context/--context-sub-path → the build context directory (materialised by the executor)
//   --dockerfile → -f;  --build-arg → --build-arg;  --target → --target;  --label → --label
//   --destination → one `buildah push` per destination (hosts rewritten, see registry-rewrite.ts)
//   --no-push → `buildah push` to a throwaway oci: layout, only to learn the manifest digest
//   --cache=true → --layers (storage is per build, so layers are reused only via a cache repo)
//   --cache-repo → --cache-from and --cache-to that repository;  --cache-ttl → --cache-ttl
//   --push-retry=N → push --retry N;  --digest-file → the first push's --digestfile
//   --snapshot-mode, --compressed-caching… → no effect: buildah has no snapshot step
import type { KanikoBuild } from "./kaniko-args.js";
import { hostOf, isLoopbackHost, pushReference, type RegistryRewrite } from "./registry-rewrite.js";

export interface BuildPaths {
  /** Per-build storage: --root, --runroot. */
  storageRoot: string;
  runRoot: string;
  registriesConf: string;
  signaturePolicy: string;
  contextDir: string;
  dockerfile: string;
  authFile?: string;
  /** Where the first push writes its digest. */
  digestFile: string;
  /** oci: layout for --no-push. */
  ociDir: string;
}

export interface Command {
  args: string[];
  /** What the executor logs before running it. */
  describe: string;
}

/** The local image name the build is tagged with before it is pushed. */
export const LOCAL_IMAGE = "localhost/kubesim-build:latest";

export function buildahCommands(build: KanikoBuild, paths: BuildPaths, rw: RegistryRewrite): Command[] {
  const global = ["--storage-driver", "vfs", "--root", paths.storageRoot, "--runroot", paths.runRoot, "--registries-conf", paths.registriesConf];
  const auth = paths.authFile === undefined ? [] : ["--authfile", paths.authFile];
  const buildArgs = [
    ...global,
    "build",
    "--isolation", "chroot",
    "--signature-policy", paths.signaturePolicy,
    "--format", "oci",
    ...auth,
    "-f", paths.dockerfile,
    "-t", LOCAL_IMAGE,
    ...build.buildArgs.flatMap((a) => ["--build-arg", a]),
    ...(build.target === undefined ? [] : ["--target", build.target]),
    ...build.labels.flatMap((l) => ["--label", l]),
    ...(build.cache ? ["--layers"] : []),
    ...(build.cacheRepo === undefined ? [] : ["--cache-from", pushReference(build.cacheRepo, rw), "--cache-to", pushReference(build.cacheRepo, rw)]),
    ...(build.cacheTtl === undefined ? [] : ["--cache-ttl", build.cacheTtl]),
    paths.contextDir,
  ];
  const commands: Command[] = [{ args: buildArgs, describe: `buildah build -f ${build.dockerfile}` }];
  if (build.noPush) {
    commands.push({
      args: [...global, "push", "--signature-policy", paths.signaturePolicy, "--digestfile", paths.digestFile, LOCAL_IMAGE, `oci:${paths.ociDir}`],
      describe: "no push (--no-push): digest of the built image",
    });
    return commands;
  }
  build.destinations.forEach((destination, i) => {
    const target = pushReference(destination, rw);
    const tls = isLoopbackHost(hostOf(target)) ? ["--tls-verify=false"] : [];
    commands.push({
      args: [
        ...global, "push",
        "--signature-policy", paths.signaturePolicy,
        ...auth, ...tls,
        "--retry", String(build.pushRetry),
        ...(i === 0 ? ["--digestfile", paths.digestFile] : []),
        LOCAL_IMAGE, `docker://${target}`,
      ],
      describe: target === destination ? `Pushing image to ${destination}` : `Pushing image to ${destination} (as ${target})`,
    });
  });
  return commands;
}

export const SIGNATURE_POLICY = JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] });
