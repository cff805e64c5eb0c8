// Materialises a pod's volumes on the host the way the kubelet would, and maps
// container paths to host paths. ConfigMap and Secret volumes (with `items`),
// projected Secrets, PersistentVolumeClaims (a directory under --volume-root)
// and emptyDir; mounts with `subPath`.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, normalize, posix } from "node:path";

export interface KeyToPath {
  key: string;
  path: string;
}

export interface PodVolume {
  name: string;
  configMap?: { name: string; items?: KeyToPath[]; optional?: boolean };
  secret?: { secretName: string; items?: KeyToPath[]; optional?: boolean };
  projected?: { sources?: { secret?: { name: string; items?: KeyToPath[] }; configMap?: { name: string; items?: KeyToPath[] } }[] };
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: unknown;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
}

/** A container path prefix and the host directory (or file) behind it. */
export interface HostMount {
  mountPath: string;
  hostPath: string;
}

export class VolumeError extends Error {
  readonly code = "POD_VOLUME";
  constructor(message: string) {
    super(message);
    this.name = "VolumeError";
  }
}

export interface VolumeSources {
  /** `data` of a ConfigMap (strings) or of a Secret (base64, decoded here). */
  configMap(name: string): Record<string, string> | undefined;
  secret(name: string): Record<string, string> | undefined;
  /** Host directory of a claim: <volume-root>/<namespace>/<claim>. */
  claimDir(claim: string): string;
}

function safeRelative(path: string, what: string): string {
  const clean = posix.normalize(path).replace(/^\/+/, "");
  if (clean === ".." || clean.startsWith("../")) throw new VolumeError(`${what}: path "${path}" leaves the volume`);
  return clean;
}

async function writeKeys(dir: string, data: Record<string, string>, items: KeyToPath[] | undefined, what: string, mode: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  // An empty items list projects every key, as the kubelet does.
  const entries = items !== undefined && items.length > 0 ? items : Object.keys(data).map((key) => ({ key, path: key }));
  for (const item of entries) {
    const value = data[item.key];
    if (value === undefined) throw new VolumeError(`${what}: key "${item.key}" does not exist`);
    const file = join(dir, safeRelative(item.path, what));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, value, { mode });
  }
}

/** Writes every volume under `podDir` and returns, per mount, where it lives on the host. */
export async function materialiseVolumes(
  podDir: string,
  volumes: readonly PodVolume[],
  mounts: readonly VolumeMount[],
  sources: VolumeSources,
): Promise<HostMount[]> {
  const hostDirs = new Map<string, string>();
  for (const [i, v] of volumes.entries()) {
    const dir = join(podDir, "volumes", String(i));
    if (v.configMap !== undefined) {
      const data = sources.configMap(v.configMap.name);
      if (data === undefined) {
        if (v.configMap.optional !== true) throw new VolumeError(`volume ${v.name}: configmap "${v.configMap.name}" not found`);
        await mkdir(dir, { recursive: true });
      } else await writeKeys(dir, data, v.configMap.items, `volume ${v.name}`, 0o644);
    } else if (v.secret !== undefined) {
      const data = sources.secret(v.secret.secretName);
      if (data === undefined) {
        if (v.secret.optional !== true) throw new VolumeError(`volume ${v.name}: secret "${v.secret.secretName}" not found`);
        await mkdir(dir, { recursive: true });
      } else await writeKeys(dir, data, v.secret.items, `volume ${v.name}`, 0o600);
    } else if (v.projected !== undefined) {
      await mkdir(dir, { recursive: true });
      for (const source of v.projected.sources ?? []) {
        const ref = source.secret ?? source.configMap;
        if (ref === undefined) throw new VolumeError(`volume ${v.name}: only secret and configMap projections are supported`);
        const data = source.secret !== undefined ? sources.secret(ref.name) : sources.configMap(ref.name);
        if (data === undefined) throw new VolumeError(`volume ${v.name}: projected ${source.secret ? "secret" : "configmap"} "${ref.name}" not found`);
        await writeKeys(dir, data, ref.items, `volume ${v.name}`, 0o600);
      }
    } else if (v.persistentVolumeClaim !== undefined) {
      const claimDir = sources.claimDir(v.persistentVolumeClaim.claimName);
      hostDirs.set(v.name, claimDir);
      continue;
    } else if (v.emptyDir !== undefined) {
      await mkdir(dir, { recursive: true });
    } else {
      throw new VolumeError(`volume ${v.name}: this volume type is not supported by kubesim's buildah executor`);
    }
    hostDirs.set(v.name, dir);
  }
  return mounts.map((m) => {
    const base = hostDirs.get(m.name);
    if (base === undefined) throw new VolumeError(`volumeMount ${m.mountPath}: no volume named "${m.name}"`);
    return { mountPath: posix.normalize(m.mountPath), hostPath: m.subPath ? join(base, safeRelative(m.subPath, `volumeMount ${m.mountPath}`)) : base };
  });
}

/** The host path behind a container path: the longest mount that contains it; undefined outside every mount. */
export function hostPathFor(mounts: readonly HostMount[], containerPath: string): string | undefined {
  const p = posix.normalize(containerPath);
  let best: HostMount | undefined;
  for (const m of mounts) {
    const prefix = m.mountPath.replace(/\/+$/, "");
    if ((p === prefix || p.startsWith(`${prefix}/`)) && (best === undefined || prefix.length > best.mountPath.length)) best = m;
  }
  if (best === undefined) return undefined;
  return normalize(join(best.hostPath, p.slice(best.mountPath.replace(/\/+$/, "").length)));
}
