// PURE: where images go offline. Every reference to docker.io (including bare
// `busybox`) and to each alias host (the examples' `registry.internal:5000`)
// resolves to the one local registry. Pulls go through registries.conf
// (prefix → location); pushes are rewritten here because containers/image
// applies `location` only to pulls.

export interface RegistryRewrite {
  /** `127.0.0.1:PORT` of the local registry. */
  registry: string;
  /** Hosts sent to the registry besides docker.io (default: registry.internal:5000). */
  aliases: readonly string[];
}

export const DEFAULT_ALIASES = ["registry.internal:5000"] as const;
const DOCKER_HUB = ["docker.io", "index.docker.io", "registry-1.docker.io"];

function isHost(part: string): boolean {
  return part.includes(".") || part.includes(":") || part === "localhost";
}

/** `busybox:1` → `docker.io/library/busybox:1`; `x/y` → `docker.io/x/y`; a host stays. */
export function qualify(ref: string): string {
  const first = ref.split("/")[0] ?? "";
  if (ref.includes("/") && isHost(first)) return ref;
  return ref.includes("/") ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}

export function hostOf(ref: string): string {
  return qualify(ref).split("/")[0] ?? "";
}

export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, "");
  return name === "localhost" || name === "127.0.0.1" || name === "[::1]" || name.startsWith("127.");
}

function rewrittenHosts(rw: RegistryRewrite): string[] {
  return [...DOCKER_HUB, ...rw.aliases];
}

/** The reference a push really goes to. */
export function pushReference(ref: string, rw: RegistryRewrite): string {
  const q = qualify(ref);
  const host = q.split("/")[0] ?? "";
  return rewrittenHosts(rw).includes(host) ? `${rw.registry}${q.slice(host.length)}` : q;
}

function tomlString(s: string): string {
  return JSON.stringify(s);
}

/** registries.conf (v2) for one build: hub and aliases mirrored to the registry, loopback hosts plain http. */
export function registriesConf(rw: RegistryRewrite, extraInsecureHosts: readonly string[] = []): string {
  const lines = ['unqualified-search-registries = ["docker.io"]', 'short-name-mode = "permissive"', ""];
  for (const prefix of rewrittenHosts(rw)) {
    lines.push("[[registry]]", `prefix = ${tomlString(prefix)}`, `location = ${tomlString(rw.registry)}`, "insecure = true", "");
  }
  const insecure = new Set([rw.registry, ...extraInsecureHosts.filter(isLoopbackHost)]);
  for (const host of insecure) lines.push("[[registry]]", `location = ${tomlString(host)}`, "insecure = true", "");
  return lines.join("\n");
}

/**
 * The docker config.json (from the mounted Secret) with each entry for a
 * rewritten host copied to the registry's host, so the credentials written for
 * `registry.internal:5000` are the ones the local registry sees.
 */
export function rewriteAuthFile(config: unknown, rw: RegistryRewrite): { auths: Record<string, unknown> } {
  const auths: Record<string, unknown> = {};
  const input = (typeof config === "object" && config !== null ? (config as { auths?: unknown }).auths : undefined) ?? {};
  if (typeof input !== "object" || input === null) return { auths };
  const hosts = rewrittenHosts(rw);
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    auths[key] = value;
    const host = key.replace(/^https?:\/\//, "").split("/")[0] ?? key;
    if (hosts.includes(host) && auths[rw.registry] === undefined) auths[rw.registry] = value;
  }
  return { auths };
}
