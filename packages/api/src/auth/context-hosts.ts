import { BlockList, isIP } from "node:net";
import type { BuildContext, FieldIssue } from "@buildfleet/shared";

/**
 * Which hosts a build context URL may name. Kaniko fetches git and https
 * contexts from inside the cluster, so a URL naming a loopback, private,
 * link-local or cloud-metadata address would reach services a tenant must not
 * (the metadata endpoint hands out cloud credentials). The check is on the
 * addresses the host RESOLVES to, not on its text: `localhost`, `2130706433`
 * or a DNS name pointing at 10.0.0.5 are as internal as `127.0.0.1`.
 *
 * Pure: the caller resolves the host (see resolve-host.ts) and passes the addresses.
 */

/** Never admitted, not even when listed: they hand out the node's cloud credentials. */
const METADATA = new BlockList();
METADATA.addAddress("169.254.169.254", "ipv4"); // AWS, GCP, Azure, OpenStack …
METADATA.addAddress("169.254.170.2", "ipv4"); // AWS ECS task credentials
METADATA.addAddress("100.100.100.200", "ipv4"); // Alibaba Cloud
METADATA.addAddress("fd00:ec2::254", "ipv6"); // AWS over IPv6

/** Not routable on the public internet (IANA special-purpose registries); IPv4-mapped IPv6 matches too. */
const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT, also used for cluster networks
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  INTERNAL.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
  ["64:ff9b:1::", 48], // local-use NAT64
] as const) {
  INTERNAL.addSubnet(net, prefix, "ipv6");
}

export type AddressKind = "metadata" | "internal" | "public";

export function classifyAddress(address: string): AddressKind {
  const family = isIP(address) === 6 ? "ipv6" : "ipv4";
  if (METADATA.check(address, family)) return "metadata";
  // An unparseable address is not known to be public.
  if (isIP(address) === 0 || INTERNAL.check(address, family)) return "internal";
  return "public";
}

/** `git.internal` matches itself; `*.corp.example` matches any name under corp.example. Case-insensitive. */
export function hostListed(listed: readonly string[], host: string): boolean {
  const h = host.toLowerCase();
  return listed.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith("*.") ? h.endsWith(e.slice(1)) && h.length > e.length - 1 : h === e;
  });
}

/** The host of a context URL that is fetched over the network, or undefined (s3://, gs://, volume, inline). */
export function contextHost(context: BuildContext): string | undefined {
  if (context.type !== "git" && context.type !== "tarball") return undefined;
  const url = new URL(context.url);
  // s3:// and gs:// name a bucket, not a host: the cloud SDK in Kaniko picks the endpoint.
  if (url.protocol === "s3:" || url.protocol === "gs:") return undefined;
  // URL keeps the brackets of an IPv6 literal; name resolution wants the bare address.
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

export type Resolution = { ok: true; addresses: readonly string[] } | { ok: false; why: string };

/** The issue with a context host that resolved as given, or undefined when the tenant may fetch from it. */
export function contextHostIssue(
  entry: { tenant: string; contextHosts?: readonly string[] | undefined },
  host: string,
  resolution: Resolution,
): FieldIssue | undefined {
  const refuse = (why: string): FieldIssue => ({ path: "context.url", message: `tenant ${entry.tenant} may not fetch a context from ${host}: ${why}` });
  if (!resolution.ok) return refuse(`it does not resolve (${resolution.why})`);
  if (resolution.addresses.length === 0) return refuse("it resolves to no address");
  const kinds = resolution.addresses.map(classifyAddress);
  if (kinds.includes("metadata")) return refuse("it resolves to a cloud metadata address");
  if (kinds.every((k) => k === "public")) return undefined;
  if (hostListed(entry.contextHosts ?? [], host)) return undefined;
  return refuse(
    "it resolves to a loopback, private or link-local address; an operator can list the host in the token's contextHosts",
  );
}
