import { isIP } from "node:net";
import { classifyAddress, hostListed } from "../net/address-kind.js";

/**
 * Which URLs a webhook may target. The worker POSTs from inside the cluster, so a
 * target that resolves to loopback, a private range or the cloud metadata address
 * would let a tenant probe (and read back excerpts of) internal services. Checked
 * when the webhook is registered AND on every connection (the address actually
 * dialled), so DNS that changes after registration cannot slip through.
 * Pure: callers resolve names.
 */

export interface TargetPolicy {
  /** Allow http:// targets (default: https only). */
  allowHttp: boolean;
  /** Hosts (`hooks.internal`, `*.corp.example`, `127.0.0.1`) an operator lets resolve to internal addresses. */
  allowedHosts: readonly string[];
}

export const DEFAULT_TARGET_POLICY: TargetPolicy = { allowHttp: false, allowedHosts: [] };

/** The host of a URL as name resolution wants it (IPv6 literals without brackets). */
export function targetHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/** Why the URL's form is refused (scheme, credentials), or undefined. */
export function targetUrlProblem(raw: string, policy: TargetPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "expected an absolute URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return `expected an https:// URL, not ${url.protocol}//`;
  if (url.protocol === "http:" && !policy.allowHttp) {
    return "expected an https:// URL; an operator can allow http:// with BUILDFLEET_WEBHOOKS_ALLOW_HTTP=true";
  }
  // Credentials in the URL would be stored and shown back with the webhook.
  if (url.username !== "" || url.password !== "") return "the URL must not carry a user name or password";
  return undefined;
}

/** Why connecting to `address` (resolved from `host`) is refused, or undefined. */
export function targetAddressProblem(host: string, address: string, policy: TargetPolicy): string | undefined {
  const kind = classifyAddress(address);
  if (kind === "metadata") return `${host} resolves to a cloud metadata address`;
  if (kind === "public") return undefined;
  if (hostListed(policy.allowedHosts, host) || (isIP(host) === 0 && hostListed(policy.allowedHosts, address))) return undefined;
  return `${host} resolves to a loopback, private or link-local address (${address}); an operator can list the host in BUILDFLEET_WEBHOOKS_ALLOWED_HOSTS`;
}
