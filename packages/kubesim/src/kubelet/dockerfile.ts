import { flagValues } from "./kaniko.js";

/**
 * What kubesim's Kaniko needs from a build's Dockerfile: its stages (FROM and
 * instructions), so the scripted log names the real FROM and steps instead
 * of fixed ones. Only the file Kaniko would read from a mounted ConfigMap (an
 * inline Dockerfile) can be seen; for other contexts (PVC, git, tarball) the
 * log has only the steps Kaniko always prints.
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

/** One build stage as Kaniko runs it: its FROM and the instructions after it, as written. */
export interface DockerfileStage {
  /** The FROM image after ARG expansion, or the earlier stage's name it builds on. */
  base: string;
  name?: string;
  /** Index of the earlier stage it builds FROM, else -1 (Kaniko's base-idx). */
  baseIndex: number;
  /** Every instruction after the FROM (continuations joined, comments and heredoc bodies left out). */
  instructions: string[];
}

/**
 * The Dockerfile's stages: `FROM [--platform=…] image [AS name]`, with
 * `${VAR}`/`$VAR` from --build-arg or the ARG defaults before the first FROM.
 */
export function dockerfileStages(text: string, buildArgs: Readonly<Record<string, string>>): DockerfileStage[] {
  const args: Record<string, string> = {};
  const stages: DockerfileStage[] = [];
  const expand = (v: string): string => v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, a?: string, def?: string, b?: string) => {
    const name = a ?? b ?? "";
    return buildArgs[name] ?? args[name] ?? def ?? "";
  });
  const lines = text.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim().replace(/\s+/g, " ");
    if (line === "" || line.startsWith("#")) continue;
    // A heredoc (`RUN <<EOF` … `EOF`): its body is not instructions.
    const heredoc = /<<-?["']?([A-Za-z_][A-Za-z0-9_]*)["']?/.exec(line);
    if (heredoc) while (i + 1 < lines.length && (lines[i + 1] ?? "").trim() !== heredoc[1]) i++;
    if (heredoc) i++;
    const from = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      const image = expand(from[1] ?? "");
      const baseIndex = stages.findIndex((st) => st.name !== undefined && st.name === image.toLowerCase());
      stages.push({ base: image, ...(from[2] !== undefined ? { name: from[2].toLowerCase() } : {}), baseIndex, instructions: [] });
      continue;
    }
    const current = stages.at(-1);
    if (current !== undefined) {
      current.instructions.push(line);
      continue;
    }
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?/i.exec(line);
    if (arg?.[2] !== undefined) args[arg[1] ?? ""] = expand(arg[2].replace(/^["']|["']$/g, ""));
  }
  return stages;
}

/** Base image of each stage, in order; a stage built FROM an earlier stage (it pulls nothing) or scratch is left out. */
export function dockerfileBases(text: string, buildArgs: Readonly<Record<string, string>>): string[] {
  return dockerfileStages(text, buildArgs)
    .filter((st) => st.baseIndex === -1 && st.base !== "scratch")
    .map((st) => st.base);
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
