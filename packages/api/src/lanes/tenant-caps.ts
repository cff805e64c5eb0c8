import { type TenantCapStore } from "@buildfleet/shared";
import { RateLimitedError } from "@buildfleet/contract";
import type { TokenEntry } from "../auth/tokens.js";

/** Retry-After of a submit refused for maxQueued: about one short build's time for the queue to move. */
export const QUEUED_RETRY_AFTER_SECONDS = 30;

/** The answer for a tenant at its maxQueued (pure). */
export function maxQueuedError(tenant: string, queued: number, maxQueued: number): RateLimitedError {
  return new RateLimitedError(
    `tenant ${tenant} has ${queued} builds waiting in the queue, its maxQueued of ${maxQueued}: submit again when some have started, or cancel some`,
    { retryAfterSeconds: QUEUED_RETRY_AFTER_SECONDS },
  );
}

/**
 * Before a submit: publishes the tenant's maxRunning for the workers (the
 * token file is the API's; the workers read it from Redis) and refuses the
 * submit with 429 when the tenant already has maxQueued builds waiting.
 * Checked at submit, not atomically with the add: concurrent submits of one
 * tenant can pass the check together.
 */
export async function enforceTenantCaps(caps: TenantCapStore, principal: Pick<TokenEntry, "tenant" | "maxRunning" | "maxQueued">): Promise<void> {
  await caps.publish(principal.tenant, principal.maxRunning);
  if (principal.maxQueued === undefined) return;
  const queued = await caps.queued(principal.tenant);
  if (queued >= principal.maxQueued) throw maxQueuedError(principal.tenant, queued, principal.maxQueued);
}
