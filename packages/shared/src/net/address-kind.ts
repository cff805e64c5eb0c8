import { BlockList, isIP } from "node:net";

/**
 * What kind of address a host resolved to: the one classification behind every
 * outbound URL buildfleet lets a tenant name (build contexts, webhook targets).
 * A loopback, private, link-local or cloud-metadata address would reach
 * services a tenant must not (the metadata endpoint hands out cloud credentials).
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
