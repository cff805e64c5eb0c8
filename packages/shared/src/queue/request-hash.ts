import { hash } from "node:crypto";
import { stringify } from "safe-stable-stringify";
import type { BuildRequest } from "../contract/index.js";

/**
 * A fingerprint of a validated request, stored with its idempotency key so a
 * key sent again with a different request can be told from a retry. Keys are
 * sorted (canonical JSON) so field order does not matter; the key itself is
 * left out (header and body field carry the same key differently).
 */
export function requestHash(request: BuildRequest): string {
  const { idempotencyKey: _key, ...rest } = request;
  return hash("sha256", stringify(rest) ?? "", "hex");
}

/** The idempotency key's stored value: `<buildId> <hash>` (older values hold the id alone). */
export function encodeIdempotencyValue(buildId: string, hash: string): string {
  return `${buildId} ${hash}`;
}

export function decodeIdempotencyValue(value: string): { buildId: string; requestHash: string | undefined } {
  const [buildId = "", hash] = value.split(" ");
  return { buildId, requestHash: hash };
}
