import { randomBytes } from "node:crypto";
import { z } from "zod";

/**
 * Build ids are lowercase ULIDs: 26 Crockford base32 characters, 48 bits of
 * millisecond time then 80 random bits, so ids sort by creation time. Written
 * here (20 lines over node:crypto) rather than pulling in a dependency, and
 * lowercase because the id becomes part of Kubernetes names (DNS-1123).
 */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const MAX_TIME = 2 ** 48 - 1;

// The first character encodes the top 3 bits of time, so it is 0-7.
const BUILD_ID_PATTERN = /^[0-7][0-9a-hjkmnp-tv-z]{25}$/;

export const BuildId = z
  .string()
  .regex(BUILD_ID_PATTERN, {
    error: "expected a build id: 26 lowercase Crockford base32 characters (a lowercase ULID)",
  })
  // BullMQ rejects job ids made only of digits (they clash with its counters).
  .refine((id) => !/^[0-9]+$/.test(id), { error: "a build id cannot be all digits" });
export type BuildId = z.infer<typeof BuildId>;

function encodeTime(ms: number): string {
  let out = "";
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[rest % 32]! + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 16 characters × 5 bits = 80 bits = 10 bytes.
  let out = "";
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < 10; i++) {
    acc = (acc << 8) | bytes[i]!;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31]!;
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

export interface NewBuildIdOptions {
  now?: number;
  /** Source of 10 random bytes; injectable so tests can be deterministic. */
  random?: (size: number) => Uint8Array;
  /** The id's 10 "random" bytes given (the first 10 of these): an id derived from something, e.g. a digest of an idempotency key. */
  bytes?: Uint8Array;
}

/** A fresh build id; ids made in later milliseconds sort after earlier ones. */
export function newBuildId(options: NewBuildIdOptions = {}): BuildId {
  const now = options.now ?? Date.now();
  if (!Number.isInteger(now) || now < 0 || now > MAX_TIME) {
    throw new RangeError(`cannot encode time ${now} in a build id`);
  }
  const random = options.bytes ?? (options.random ?? randomBytes)(10);
  if (random.length < 10) throw new RangeError("a build id needs 10 random bytes");
  let id = encodeTime(now) + encodeRandom(random);
  // Astronomically unlikely, but an all-digit id would be refused by BullMQ.
  if (/^[0-9]+$/.test(id)) id = `${id.slice(0, 25)}z`;
  return id;
}

/** When the id was made (millisecond precision). */
export function buildIdTime(id: string): Date {
  let ms = 0;
  for (const ch of id.slice(0, 10)) ms = ms * 32 + ALPHABET.indexOf(ch);
  return new Date(ms);
}
