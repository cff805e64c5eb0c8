import { classifyAddress, hostListed } from "@buildfleet/shared";
import { type BuildContext, type FieldIssue } from "@buildfleet/contract";

export { classifyAddress, hostListed, type AddressKind } from "@buildfleet/shared";

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
