import { tryParseImageReference, type BuildRequest, type FieldIssue } from "@buildfleet/contract";
import type { TokenEntry } from "./tokens.js";

/**
 * What a tenant may push to and which credentials it may mount. An allow-list
 * entry `registry.internal:5000` admits any repository on that registry;
 * `ghcr.io/team-a` admits `ghcr.io/team-a` and everything under
 * `ghcr.io/team-a/` — but not `ghcr.io/team-ab` (prefixes match whole path
 * components). Registry host names compare case-insensitively.
 */

export function registryAllowed(allowed: readonly string[], reference: string): boolean {
  const parsed = tryParseImageReference(reference);
  if (!parsed.ok) return false;
  const registry = parsed.value.registry.toLowerCase();
  const name = `${registry}/${parsed.value.repository}`;
  return allowed.some((entry) => {
    const slash = entry.indexOf("/");
    if (slash === -1) return entry.toLowerCase() === registry;
    const prefix = `${entry.slice(0, slash).toLowerCase()}${entry.slice(slash)}`.replace(/\/+$/, "");
    return name === prefix || name.startsWith(`${prefix}/`);
  });
}

/** Every field of a (validated) request that reaches outside the tenant's allow-lists. */
export function allowListIssues(entry: Pick<TokenEntry, "tenant" | "registries" | "secrets" | "claims">, request: BuildRequest): FieldIssue[] {
  const issues: FieldIssue[] = [];
  request.destinations.forEach((destination, i) => {
    if (!registryAllowed(entry.registries, destination)) {
      issues.push({
        path: `destinations[${i}]`,
        message: `tenant ${entry.tenant} may not push to "${destination}"; allowed: ${describe(entry.registries)}`,
      });
    }
  });
  const cacheRepo = request.cache?.repository;
  if (cacheRepo !== undefined && !registryAllowed(entry.registries, cacheRepo)) {
    issues.push({
      path: "cache.repository",
      message: `tenant ${entry.tenant} may not use "${cacheRepo}" as a cache; allowed: ${describe(entry.registries)}`,
    });
  }
  const secret = request.registryCredentials?.secretName;
  if (secret !== undefined && !entry.secrets.includes(secret)) {
    issues.push({
      path: "registryCredentials.secretName",
      message: `tenant ${entry.tenant} may not use the Secret "${secret}"; allowed: ${describe(entry.secrets)}`,
    });
  }
  if (request.context.type === "volume" && !entry.claims.includes(request.context.claimName)) {
    issues.push({
      path: "context.claimName",
      message: `tenant ${entry.tenant} may not mount the PersistentVolumeClaim "${request.context.claimName}"; allowed: ${describe(entry.claims)}`,
    });
  }
  return issues;
}

function describe(list: readonly string[]): string {
  return list.length === 0 ? "none" : list.join(", ");
}
