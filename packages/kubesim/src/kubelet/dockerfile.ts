import { flagValues } from "./kaniko.js";

/**
 * What kubesim's Kaniko needs from a build's Dockerfile: the base images of
 * its stages, so the scripted log names the real FROM instead of a fixed one.
 * Only the file Kaniko would read from a mounted ConfigMap (an inline
 * Dockerfile) can be seen; other contexts (PVC, git, tarball) are not
 * simulated and fall back to --build-arg BASE_IMAGE or a default.
 */

interface PodLike {
  spec?: {
    volumes?: { name?: string; configMap?: { name?: string; items?: { key?: string; path?: string }[] } }[];
    containers?: { args?: string[]; volumeMounts?: { name?: string; mountPath?: string }[] }[];
  };
}

/** The text of the Dockerfile `--dockerfile` points into a mounted ConfigMap, if any. */
export function mountedDockerfile(pod: PodLike, containerIndex: number, readConfigMap: (name: string) => Record<string, string> | undefined): string | undefined {
  const container = pod.spec?.containers?.[containerIndex];
  const path = flagValues(container?.args ?? [], "--dockerfile", "-f")[0];
  if (path === undefined) return undefined;
  for (const mount of container?.volumeMounts ?? []) {
    const dir = mount.mountPath?.replace(/\/+$/, "");
    if (dir === undefined || !path.startsWith(`${dir}/`)) continue;
    const volume = pod.spec?.volumes?.find((v) => v.name === mount.name);
    const cm = volume?.configMap;
    if (cm?.name === undefined) continue;
    const data = readConfigMap(cm.name);
    const rel = path.slice(dir.length + 1);
    const key = cm.items?.find((i) => i.path === rel)?.key ?? rel;
    return data?.[key];
  }
  return undefined;
}

/**
 * Base image of each stage, in order: `FROM [--platform=…] image [AS name]`,
 * with `${VAR}`/`$VAR` from --build-arg or the ARG defaults before it. A stage
 * built FROM an earlier stage's name is left out (it pulls nothing).
 */
export function dockerfileBases(text: string, buildArgs: Readonly<Record<string, string>>): string[] {
  const args: Record<string, string> = {};
  const stages = new Set<string>();
  const bases: string[] = [];
  const expand = (v: string): string => v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, a?: string, def?: string, b?: string) => {
    const name = a ?? b ?? "";
    return buildArgs[name] ?? args[name] ?? def ?? "";
  });
  for (const raw of text.replace(/\\\r?\n/g, " ").split(/\r?\n/)) {
    const line = raw.trim();
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?/i.exec(line);
    if (arg && bases.length === 0) {
      if (arg[2] !== undefined) args[arg[1] ?? ""] = expand(arg[2].replace(/^["']|["']$/g, ""));
      continue;
    }
    const from = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!from) continue;
    const image = expand(from[1] ?? "");
    if (!stages.has(image.toLowerCase()) && image !== "scratch") bases.push(image);
    if (from[2] !== undefined) stages.add(from[2].toLowerCase());
  }
  return bases;
}

/** `--build-arg K=V` flags as a map. */
export function buildArgsOf(args: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    flagValues(args, "--build-arg").map((a) => {
      const i = a.indexOf("=");
      return i === -1 ? [a, ""] : [a.slice(0, i), a.slice(i + 1)];
    }),
  );
}
