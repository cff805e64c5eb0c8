import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

function onPath(bin: string, env: NodeJS.ProcessEnv): boolean {
  const candidates = bin.includes("/") ? [bin] : (env["PATH"] ?? "").split(delimiter).map((d) => join(d, bin));
  return candidates.some((c) => {
    try {
      accessSync(c, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * What real builds need and this machine lacks (buildah, a registry, busybox-static),
 * as a sentence for a skip message; undefined when everything is there.
 * REGISTRY_URL stands in for the registry binary.
 */
export function missingBuildTools(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const missing: string[] = [];
  if (!onPath("buildah", env)) missing.push("buildah");
  if (!env["REGISTRY_URL"] && !onPath("/usr/bin/docker-registry", env) && !onPath("docker-registry", env)) missing.push("docker-registry");
  if (!onPath("/bin/busybox", env)) missing.push("busybox-static (/bin/busybox)");
  if (missing.length === 0) return undefined;
  return `real builds need ${missing.join(", ")} (Debian: apt-get install -y buildah docker-registry busybox-static)`;
}

/**
 * Whether real-build tests run: always in CI (CI=true installs the tools, so a
 * missing one must fail, not skip); elsewhere only when the tools are present.
 */
export function realBuildsSkipReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env["CI"] === "true" || env["CI"] === "1") return undefined;
  return missingBuildTools(env);
}
