// Pure check of a pod's Secret and ConfigMap volumes against what the store
// holds, with the kubelet's own FailedMount words. A real kubelet leaves such
// a pod Pending (containers ContainerCreating) and retries the mount until the
// object appears; it never starts the containers without it.
import type { PodVolume } from "../executor/buildah/pod-volumes.js";

export interface MissingMount {
  volume: string;
  kind: "secret" | "configmap";
  name: string;
  /** The FailedMount event message, as a 1.31 kubelet writes it. */
  message: string;
}

type Exists = (kind: "secret" | "configmap", name: string) => boolean;

interface ProjectedSource {
  secret?: { name: string; optional?: boolean };
  configMap?: { name: string; optional?: boolean };
}

function missing(volume: string, kind: "secret" | "configmap", name: string): MissingMount {
  return { volume, kind, name, message: `MountVolume.SetUp failed for volume "${volume}" : ${kind} "${name}" not found` };
}

/** The first missing object of each volume (the kubelet reports one per volume); `optional` ones never block. */
export function missingMounts(volumes: readonly PodVolume[], exists: Exists): MissingMount[] {
  const out: MissingMount[] = [];
  for (const v of volumes) {
    if (v.secret !== undefined && v.secret.optional !== true && !exists("secret", v.secret.secretName)) {
      out.push(missing(v.name, "secret", v.secret.secretName));
    } else if (v.configMap !== undefined && v.configMap.optional !== true && !exists("configmap", v.configMap.name)) {
      out.push(missing(v.name, "configmap", v.configMap.name));
    } else if (v.projected !== undefined) {
      const sources = (v.projected.sources ?? []) as ProjectedSource[];
      const gone = sources
        .map((s) =>
          s.secret !== undefined && s.secret.optional !== true && !exists("secret", s.secret.name)
            ? missing(v.name, "secret", s.secret.name)
            : s.configMap !== undefined && s.configMap.optional !== true && !exists("configmap", s.configMap.name)
              ? missing(v.name, "configmap", s.configMap.name)
              : undefined,
        )
        .find((m) => m !== undefined);
      if (gone !== undefined) out.push(gone);
    }
  }
  return out;
}
