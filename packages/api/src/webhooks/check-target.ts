import { targetAddressProblem, targetHost, targetUrlProblem, type TargetPolicy } from "@buildfleet/shared";
import { ValidationError } from "@buildfleet/contract";
import type { ResolveHost } from "../auth/resolve-host.js";

/**
 * Refuses a webhook URL the worker must not call: wrong scheme, or a host that
 * resolves (every address, the way the worker will dial it) to a loopback,
 * private, link-local or metadata address the operator has not allowed. The
 * worker checks the dialled address again on every attempt.
 */
export async function checkWebhookTarget(raw: string, policy: TargetPolicy, resolveHost: ResolveHost): Promise<void> {
  const refuse = (message: string): never => {
    throw new ValidationError([{ path: "url", message }]);
  };
  const problem = targetUrlProblem(raw, policy);
  if (problem !== undefined) refuse(problem);
  const host = targetHost(new URL(raw));
  const resolution = await resolveHost(host);
  if (!resolution.ok) return refuse(`${host} does not resolve (${resolution.why})`);
  if (resolution.addresses.length === 0) refuse(`${host} resolves to no address`);
  for (const address of resolution.addresses) {
    const why = targetAddressProblem(host, address, policy);
    if (why !== undefined) refuse(why);
  }
}
