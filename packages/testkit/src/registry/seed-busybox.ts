// Offline base image: `library/busybox` built from Debian's busybox-static (a
// scratch image holding /bin/busybox and its applet links), pushed with buildah.
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { manifestDigest, type RegistryAuth } from "./registry-client.js";

const run = promisify(execFile);

export const BUSYBOX_REPOSITORY = "library/busybox";

export interface SeedBusyboxOptions {
  busyboxBin?: string;
  buildahBin?: string;
  auth?: RegistryAuth;
  /** Push again even when the tags exist (default: keep what the registry has). */
  force?: boolean;
}

export interface SeededImage {
  repository: string;
  /** The versioned tag (busybox's own version, e.g. "1.35.0") and "latest". */
  tags: string[];
  digest: string;
}

/** "BusyBox v1.35.0 (Debian …)" → "1.35.0". */
export function busyboxVersion(banner: string): string {
  const match = /BusyBox v(\d+\.\d+\.\d+)/.exec(banner);
  if (match?.[1] === undefined) throw new Error(`cannot read the busybox version from: ${banner.split("\n")[0] ?? ""}`);
  return match[1];
}

export async function seedBusybox(registry: { url: string; host: string }, options: SeedBusyboxOptions = {}): Promise<SeededImage> {
  const busybox = options.busyboxBin ?? "/bin/busybox";
  const buildah = options.buildahBin ?? "buildah";
  // busybox prints its banner and exits 0 without arguments.
  const { stdout } = await run(busybox, [], { timeout: 10_000 }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? "" }));
  const version = busyboxVersion(stdout);
  const tags = [version, "latest"];
  if (options.force !== true) {
    const existing = await Promise.all(tags.map((t) => manifestDigest(registry.url, BUSYBOX_REPOSITORY, t, options.auth)));
    if (existing[0] !== undefined && existing[0] === existing[1]) return { repository: BUSYBOX_REPOSITORY, tags, digest: existing[0] };
  }
  const { stdout: list } = await run(busybox, ["--list"], { timeout: 10_000 });
  const applets = list.split("\n").map((s) => s.trim()).filter((s) => /^[a-z0-9_.[-]+$/i.test(s) && s !== "busybox");

  const dir = await mkdtemp(join(tmpdir(), "buildfleet-seed-"));
  const storage = ["--storage-driver", "vfs", "--root", join(dir, "root"), "--runroot", join(dir, "run")];
  const opts = { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 };
  try {
    const { stdout: ctr } = await run(buildah, [...storage, "from", "scratch"], opts);
    const container = ctr.trim();
    const { stdout: mnt } = await run(buildah, [...storage, "mount", container], opts);
    const root = mnt.trim();
    await mkdir(join(root, "bin"), { recursive: true });
    await mkdir(join(root, "tmp"), { recursive: true });
    await copyFile(busybox, join(root, "bin", "busybox"));
    for (const applet of applets) await symlink("busybox", join(root, "bin", applet)).catch(() => undefined);
    await run(buildah, [...storage, "config", "--cmd", "sh", "--env", "PATH=/bin", "--label", `org.opencontainers.image.version=${version}`, container], opts);
    const image = `localhost/busybox-seed:${version}`;
    await run(buildah, [...storage, "commit", "--format", "oci", container, image], opts);
    const authArgs = options.auth === undefined ? [] : ["--creds", `${options.auth.username}:${options.auth.password}`];
    let digest = "";
    for (const tag of tags) {
      const digestFile = join(dir, `digest-${tag}`);
      await run(buildah, [...storage, "push", "--tls-verify=false", ...authArgs, "--digestfile", digestFile, image, `docker://${registry.host}/${BUSYBOX_REPOSITORY}:${tag}`], opts);
      digest = (await readFile(digestFile, "utf8")).trim();
    }
    return { repository: BUSYBOX_REPOSITORY, tags, digest };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
